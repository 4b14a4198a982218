"""The official JavaScript guest chat SDK against the emulator: every call, every declared field.

``purecloud-guest-chat-client`` is installed from the npm registry into a folder of the
system's temporary directory (kept between runs, never in the checkout), and run with
the machine's Node.js. It creates a chat, attaches its event stream
(Node.js's own WebSocket), sends a message, reads messages and members, sends
typing, reads and answers an agent's co-browse offer (made through the emulator's
HTTP controls) and leaves; each answer must carry every field the SDK's type
declarations require (and the create answer and a media request all of theirs).
"""

from __future__ import annotations

import getpass
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from cxbus_emulator import Emulator

SDK = "purecloud-guest-chat-client@13.2.0"
# The SDK's install and npm's own cache: one folder per user, outside the checkout.
CACHE = Path(tempfile.gettempdir()) / f"cxbus-tests-npm-{getpass.getuser()}"
PACKAGE = CACHE / "node_modules" / "purecloud-guest-chat-client"

SCRIPT = """
const platformClient = require(process.argv[2]);
const [base, org, deployment] = process.argv.slice(3);
const client = platformClient.ApiClient.instance;
client.config.basePath = base;  // the SDK builds https://api.<env>; the emulator is plain http
const api = new platformClient.WebChatApi();
const control = (cid, action, body) => fetch(
  `${base}/emulator/conversations/${cid}/agent/${action}`,
  {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)},
);
(async () => {
  const out = {};
  out.create = await api.postWebchatGuestConversations({
    organizationId: org, deploymentId: deployment,
    routingTarget: {targetType: "QUEUE", targetAddress: "Support"},
    memberInfo: {displayName: "SDK Guest", customFields: {firstName: "John"}},
  });
  client.setJwt(out.create.jwt);
  // SDK 13.2.0: logging the unauthenticated create writes "Authorization: [REDACTED]"
  // into the client's shared default headers, which then override the JWT.
  delete client.defaultHeaders.Authorization;
  const cid = out.create.id, mid = out.create.member.id;
  // The chat is routed, and takes messages, once its event stream is attached.
  const stream = new WebSocket(out.create.eventStreamUri);
  await new Promise((opened, failed) => { stream.onopen = opened; stream.onerror = failed; });
  const hello = {body: "hi from the SDK", bodyType: "standard"};
  out.message = await api.postWebchatGuestConversationMemberMessages(cid, mid, hello);
  await control(cid, "join", {name: "Alex"});
  await control(cid, "media-request", {type: "COBROWSE"});
  out.messages = await api.getWebchatGuestConversationMessages(cid, {maxResults: 10});
  out.oneMessage = await api.getWebchatGuestConversationMessage(cid, out.message.id);
  out.members = await api.getWebchatGuestConversationMembers(cid, {pageSize: 25, pageNumber: 1});
  out.member = await api.getWebchatGuestConversationMember(cid, mid);
  out.typing = await api.postWebchatGuestConversationMemberTyping(cid, mid);
  out.mediaRequests = await api.getWebchatGuestConversationMediarequests(cid);
  const offer = out.mediaRequests.entities[0];
  out.mediaRequest = await api.getWebchatGuestConversationMediarequest(cid, offer.id);
  out.answered = await api.patchWebchatGuestConversationMediarequest(
    cid, offer.id, {...offer, state: "ACCEPTED"});
  await api.deleteWebchatGuestConversationMember(cid, mid);
  stream.close();
  console.log(JSON.stringify(out));
})().catch((error) => {
  console.error(JSON.stringify(error, Object.getOwnPropertyNames(error)).slice(0, 2000));
  process.exit(1);
});
"""


def declared_models() -> dict[str, dict[str, tuple[bool, str]]]:
    """Model -> field -> (required, type), from the SDK's index.d.ts."""
    text = (PACKAGE / "index.d.ts").read_text()
    models: dict[str, dict[str, tuple[bool, str]]] = {}
    for name, body in re.findall(r"export interface (\w+) \{(.*?)\n\t\}", text, re.S):
        fields = re.findall(r'"(\w+)"(\??): ([^;]+);', body)
        models[name] = {field: (not optional, kind) for field, optional, kind in fields}
    return models


def missing(
    value: Any, model: str, models: dict[str, dict[str, tuple[bool, str]]], every: bool = False
) -> list[str]:
    """The required fields of ``model`` (all fields if ``every``) absent from ``value``, nested."""
    gaps = []
    for field, (required, kind) in models[model].items():
        if field not in value:
            if required or every:
                gaps.append(f"{model}.{field}")
            continue
        nested = re.fullmatch(r"(?:Array<)?Models\.(\w+)>?", kind)
        if nested:
            items = value[field] if kind.startswith("Array") else [value[field]]
            for item in items:
                gaps += missing(item, nested.group(1), models)
    return gaps


@pytest.fixture(scope="module")
def sdk() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed: the JavaScript SDK cannot run")
    if not PACKAGE.exists():
        CACHE.mkdir(mode=0o700, exist_ok=True)
        subprocess.run(
            [
                *("npm", "install", "--silent", "--no-audit", "--no-fund"),
                *("--prefix", str(CACHE), "--cache", str(CACHE / "npm-cache"), SDK),
            ],
            check=True,
            timeout=300,
            cwd=CACHE,
        )
    return PACKAGE


@pytest.fixture(scope="module")
def node() -> list[str]:
    """Node.js with a WebSocket client: built in from Node 22, behind a flag in Node 20."""
    for command in (["node"], ["node", "--experimental-websocket"]):
        probe = [*command, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"]
        if subprocess.run(probe, capture_output=True, timeout=60).returncode == 0:
            return command
    pytest.skip("This Node.js has no WebSocket client (Node.js 20.10 or later has one)")


@pytest.mark.timeout(300)  # the first run installs the SDK from the npm registry
def test_the_official_sdk_chats_with_the_emulator(
    sdk: Path, node: list[str], emulator: Emulator, tmp_path: Path
) -> None:
    """Every SDK call succeeds and no declared field is missing from an answer."""
    script = tmp_path / "chat.js"
    script.write_text(SCRIPT)
    run = subprocess.run(
        [
            *node,
            str(script),
            str(sdk),
            emulator.data_url,
            emulator.org_guid,
            emulator.deployment_key,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    answers = json.loads(run.stdout)
    models = declared_models()
    gaps = (
        missing(answers["create"], "CreateWebChatConversationResponse", models, every=True)
        + missing(answers["message"], "WebChatMessage", models)
        + missing(answers["oneMessage"], "WebChatMessage", models)
        + missing(answers["messages"], "WebChatMessageEntityList", models)
        + missing(answers["members"], "WebChatMemberInfoEntityList", models)
        + missing(answers["member"], "WebChatMemberInfo", models)
        + missing(answers["typing"], "WebChatTyping", models)
        + missing(answers["mediaRequests"], "WebChatGuestMediaRequestEntityList", models)
        + missing(answers["mediaRequest"], "WebChatGuestMediaRequest", models, every=True)
        + missing(answers["answered"], "WebChatGuestMediaRequest", models)
    )
    assert gaps == []
    kinds = [(m["bodyType"], m["body"]) for m in answers["messages"]["entities"]]
    assert ("standard", "hi from the SDK") in kinds and ("member-join", "") in kinds
    assert answers["mediaRequest"]["types"] == ["COBROWSE"]
    assert answers["answered"]["state"] == "ACCEPTED"
    conversation = emulator.conversation(answers["create"]["id"])
    assert conversation.guest.state == "DISCONNECTED"
