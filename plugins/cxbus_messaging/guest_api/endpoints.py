"""Where a deployment's guest API lives: the WebSocket, the REST API and the config CDN.

On Genesys Cloud they follow from the region's domain (``mypurecloud.com``,
``mypurecloud.ie``, ``euw2.pure.cloud``...): ``wss://webmessaging.<domain>/v1``,
``https://api.<domain>`` and ``https://api-cdn.<domain>``. A base URL such as the
emulator's (``http://127.0.0.1:PORT``) serves all three, as the mobile SDK's
``TRANSPORT_CUSTOM_ENDPOINT`` test hook does.
"""

from __future__ import annotations

import urllib.parse

import attrs

__all__ = ["DOMAINS", "REGIONS", "Endpoints", "region_domain"]

# The regions' domains (the Java SDK's ``GenesysCloudRegionWebSocketHosts``), us-east-1 first.
DOMAINS = (
    "mypurecloud.com",
    "mypurecloud.ie",
    "mypurecloud.com.au",
    "mypurecloud.jp",
    "mypurecloud.de",
    "usw2.pure.cloud",
    "cac1.pure.cloud",
    "apne2.pure.cloud",
    "euw2.pure.cloud",
    "aps1.pure.cloud",
    "use2.us-gov-pure.cloud",
    "mec1.pure.cloud",
    "apne3.pure.cloud",
    "euc2.pure.cloud",
    "mxc1.pure.cloud",
    "apse1.pure.cloud",
    "sae1.pure.cloud",
)


# Ours: the regions by their AWS names (the SDKs name only us-east-1's), in the
# order of DOMAINS.
REGIONS = dict(
    zip(
        (
            "us-east-1",
            "eu-west-1",
            "ap-southeast-2",
            "ap-northeast-1",
            "eu-central-1",
            "us-west-2",
            "ca-central-1",
            "ap-northeast-2",
            "eu-west-2",
            "ap-south-1",
            "us-east-2",
            "me-central-1",
            "ap-northeast-3",
            "eu-central-2",
            "mx-central-1",
            "ap-southeast-1",
            "sa-east-1",
        ),
        DOMAINS,
        strict=True,
    )
)


def region_domain(region: str) -> str:
    """The domain of a region given by its name (``eu-west-1``) or its domain (as is)."""
    name = region.strip().lower()
    return REGIONS.get(name, name)


@attrs.frozen
class Endpoints:
    """The three bases of one deployment's guest API, and the ``Origin`` the client sends.

    ``origin`` must be one the deployment allows when it restricts domains.
    """

    websocket: str  # wss://webmessaging.<domain>/v1
    api: str  # https://api.<domain>
    config_cdn: str  # https://api-cdn.<domain>
    origin: str

    @classmethod
    def for_domain(cls, domain: str, origin: str | None = None) -> Endpoints:
        """The endpoints of a Genesys Cloud region (``origin``: the WebSocket host by default)."""
        domain = domain.strip().strip(".").lower()
        if not domain or "/" in domain or ":" in domain:
            raise ValueError(
                f"domain must be a region's domain such as mypurecloud.com, not {domain!r}."
            )
        return cls(
            websocket=f"wss://webmessaging.{domain}/v1",
            api=f"https://api.{domain}",
            config_cdn=f"https://api-cdn.{domain}",
            origin=origin or f"https://webmessaging.{domain}",
        )

    @classmethod
    def for_base_url(cls, base_url: str, origin: str | None = None) -> Endpoints:
        """Everything below one ``http(s)://host:port`` (the emulator)."""
        parts = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"baseURL must be an http:// or https:// URL, not {base_url!r}.")
        root = f"{parts.scheme}://{parts.netloc}{parts.path}"
        socket_scheme = "wss" if parts.scheme == "https" else "ws"
        return cls(
            websocket=f"{socket_scheme}://{parts.netloc}{parts.path}/v1",
            api=root,
            config_cdn=root,
            origin=origin or f"{parts.scheme}://{parts.netloc}",
        )

    def websocket_url(self, deployment_id: str, application: str | None = None) -> str:
        query = {"deploymentId": deployment_id}
        if application:
            query["application"] = application
        return f"{self.websocket}?{urllib.parse.urlencode(query)}"

    @property
    def history_url(self) -> str:
        return f"{self.api}/api/v2/webmessaging/messages"

    def config_url(self, deployment_id: str) -> str:
        quoted = urllib.parse.quote(deployment_id, safe="")
        return f"{self.config_cdn}/webdeployments/v1/deployments/{quoted}/config.json"
