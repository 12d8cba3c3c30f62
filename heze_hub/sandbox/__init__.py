"""Local fakes of every remote endpoint of DESIGN §5, with fault injection.

::

    from heze_hub.sandbox import Sandbox, Fault

    with Sandbox() as sb:
        sb.url("wechat")                       # http://127.0.0.1:PORT
        sb.wechat.add_fault(Fault(path="/cgi-bin/freepublish/submit", times=1,
                                  body={"errcode": -1, "errmsg": "system error"}))
        sb.env()                               # the secrets that match the fakes
        sb.config_toml(public_url=..., output_dir=...)

Used by the project's tests and, as ``hub sandbox`` (:func:`heze_hub.sandbox.runner.serve`), by
operators trying a configuration on one machine.
"""

from .base import Fault, RecordedRequest, Response, Service, UploadedFile
from .credit import CreditService
from .hotline import HotlineService
from .portal_cms import PortalCMSService
from .suite import SERVICE_ORDER, Sandbox
from .wechat import WeChatService
from .weibo import WeiboService

__all__ = [
    "SERVICE_ORDER",
    "CreditService",
    "Fault",
    "HotlineService",
    "PortalCMSService",
    "RecordedRequest",
    "Response",
    "Sandbox",
    "Service",
    "UploadedFile",
    "WeChatService",
    "WeiboService",
]
