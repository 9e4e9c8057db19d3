"""The official Python client (tencentcloud-sdk-python-facefusion, pinned in requirements-dev.txt),
unchanged, pointed at a live Ronghe. Reads one plan as JSON on stdin, prints one JSON object of
results: the same plan and the same result shape as node_client.js.

The only thing bent is name resolution: the plan's host names resolve to loopback by wrapping
``socket.getaddrinfo`` in this process, so no hosts file is needed."""

import base64
import json
import socket
import sys
import time
import types
from urllib.parse import urlsplit

import requests
from tencentcloud.common import abstract_client, credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.facefusion.v20220927 import facefusion_client, models


def resolve_through(table: dict[str, str]) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        return real(table.get(host, host), port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def client(plan: dict, secret_key: str | None = None) -> facefusion_client.FacefusionClient:
    http = HttpProfile(protocol="http", endpoint=plan["endpoint"], reqTimeout=60)
    return facefusion_client.FacefusionClient(credential.Credential(plan["secretId"], secret_key or plan["secretKey"]),
                                              plan["region"], ClientProfile(httpProfile=http))


def fuse_request(plan: dict, rsp_img_type: str) -> models.FuseFaceRequest:
    req = models.FuseFaceRequest()
    req.from_json_string(json.dumps({"ProjectId": plan["projectId"], "ModelId": plan["modelId"],
                                     "RspImgType": rsp_img_type, "MergeInfos": [{"Image": plan["photoBase64"]}]}))
    return req


def ultra_request(plan: dict, rsp_img_type: str, template: str) -> models.FuseFaceUltraRequest:
    """A FuseFaceUltra call with the template as base64 (ModelImage) or by URL (ModelUrl)."""
    req = models.FuseFaceUltraRequest()
    model = {"ModelImage": plan["templateBase64"]} if template == "base64" else {"ModelUrl": plan["templateUrl"]}
    req.from_json_string(json.dumps({"RspImgType": rsp_img_type, "MergeInfos": [{"Image": plan["photoBase64"]}],
                                     "SwapModelType": 2, "FusionUltraParam": {"WarpRadio": 0.8, "EnhanceRadio": 0.6},
                                     **model}))
    return req


def code(call) -> str:
    try:
        call()
    except TencentCloudSDKException as exc:
        return exc.get_code()
    return "Success"


def describe_material_list(plan: dict) -> dict:
    req = models.DescribeMaterialListRequest()
    req.ActivityId, req.Limit, req.Offset = plan["projectId"], 20, 0
    resp = client(plan).DescribeMaterialList(req)
    first = resp.MaterialInfos[0] if resp.MaterialInfos else None
    return {"Count": resp.Count, "MaterialId": first.MaterialId if first else None,
            "MaterialStatus": first.MaterialStatus if first else None}


def fuse_face_base64(plan: dict) -> dict:
    image = base64.b64decode(client(plan).FuseFace(fuse_request(plan, "base64")).FusedImage)
    return {"magic": image[:4].hex(), "bytes": len(image)}


def fuse_face_url(plan: dict) -> dict:
    url = client(plan).FuseFace(fuse_request(plan, "url")).FusedImage
    got = requests.get(url, timeout=30)
    return {"host": urlsplit(url).netloc, "status": got.status_code, "magic": got.content[:4].hex()}


def fuse_face_ultra_base64(plan: dict) -> dict:
    image = base64.b64decode(client(plan).FuseFaceUltra(ultra_request(plan, "base64", "base64")).FusedImage)
    return {"magic": image[:4].hex(), "bytes": len(image)}


def fuse_face_ultra_url(plan: dict) -> dict:
    url = client(plan).FuseFaceUltra(ultra_request(plan, "url", "url")).FusedImage
    got = requests.get(url, timeout=30)
    return {"host": urlsplit(url).netloc, "status": got.status_code, "magic": got.content[:4].hex()}


def wrong_secret_key(plan: dict) -> dict:
    return {"code": code(lambda: client(plan, "0" * 32).FuseFace(fuse_request(plan, "base64")))}


def skewed_clock(plan: dict) -> dict:
    """A clock ten minutes behind the server's, for the client only."""
    real = abstract_client.time
    abstract_client.time = types.SimpleNamespace(time=lambda: time.time() - 600, sleep=time.sleep)
    try:
        return {"code": code(lambda: client(plan).FuseFace(fuse_request(plan, "base64")))}
    finally:
        abstract_client.time = real


# One entry per call of the plan.
CALLS = {
    "DescribeMaterialList": describe_material_list,
    "FuseFaceBase64": fuse_face_base64,
    "FuseFaceUrl": fuse_face_url,
    "FuseFaceUltraBase64": fuse_face_ultra_base64,
    "FuseFaceUltraUrl": fuse_face_ultra_url,
    "WrongSecretKey": wrong_secret_key,
    "SkewedClock": skewed_clock,
}


def main() -> None:
    plan = json.load(sys.stdin)
    resolve_through(plan["resolve"])
    results = {}
    for name in plan["calls"]:
        started = time.monotonic()
        try:
            results[name] = {"ok": True, **CALLS[name](plan)}
        except TencentCloudSDKException as exc:
            results[name] = {"ok": False, "code": exc.get_code(), "message": exc.get_message()}
        except Exception as exc:  # reported to the test, which names the call that failed
            results[name] = {"ok": False, "code": "", "message": repr(exc)}
        results[name]["ms"] = int((time.monotonic() - started) * 1000)
    print(json.dumps({"client": "tencentcloud-sdk-python", "results": results}))


if __name__ == "__main__":
    main()
