"""Runs the rendered cost cap runbook against a strict, stateful stub of the ARM calls it makes,
on loopback, twice. Usage: runbook_stub.py <rendered adoptbot-cap.py> <report.json>

The stub holds one resource group with running and stopped compute of every kind the runbook
handles, plus a resource outside the group. It answers the managed identity endpoint the
Automation sandbox provides. Any request it does not expect is recorded as unexpected and
answered with 404; the report lists the state at the end and every write of each run.
"""

import copy
import importlib.util
import json
import sys
import threading
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
RG = SUB + "/resourceGroups/rg-cap-test"
OTHER = SUB + "/resourceGroups/rg-other/providers/Microsoft.Compute/virtualMachines/not-mine"
C = RG + "/providers/Microsoft.Compute"
AKS = RG + "/providers/Microsoft.ContainerService/managedClusters/aks1"
ML = RG + "/providers/Microsoft.MachineLearningServices/workspaces/mlw1"
AUTOSCALE = RG + "/providers/Microsoft.Insights/autoscalesettings/as1"

STATE = {
    "vms": {
        C + "/virtualMachines/vm-running": "PowerState/running",
        C + "/virtualMachines/vm-stopped": "PowerState/deallocated",
    },
    "vmss": {
        C + "/virtualMachineScaleSets/gpu": {
            "name": "Standard_NC24ads_A100_v4",
            "tier": "Standard",
            "capacity": 4,
        }
    },
    "autoscale": {AUTOSCALE: {"enabled": True}},
    "pools": {
        AKS + "/agentPools/system": {
            "mode": "System",
            "count": 2,
            "enableAutoScaling": False,
            "vmSize": "Standard_D4ds_v5",
        },
        AKS + "/agentPools/gpu": {
            "mode": "User",
            "count": 2,
            "enableAutoScaling": True,
            "minCount": 0,
            "maxCount": 3,
            "vmSize": "Standard_NC4as_T4_v3",
        },
    },
    "computes": {
        ML + "/computes/cluster": {
            "computeType": "AmlCompute",
            "properties": {"scaleSettings": {"maxNodeCount": 4, "minNodeCount": 1}},
        },
        ML + "/computes/instance": {
            "computeType": "ComputeInstance",
            "properties": {"state": "Running"},
        },
    },
    "tags": {},
}
LOG = {"unexpected": [], "writes": [], "auth_failures": 0, "token_requests": 0}
API = {"2024-07-01", "2022-10-01", "2024-09-01", "2024-10-01", "2021-04-01"}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body=None):
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n).decode("utf-8")) if n else None

    def handle_any(self, method):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        path = url.path
        payload = self.body()
        if path == "/msi/token":
            LOG["token_requests"] += 1
            ok = self.headers.get("X-IDENTITY-HEADER") == "secret" and q.get("resource") == [
                "https://management.azure.com/"
            ]
            return self.reply(200, {"access_token": "stub-token"}) if ok else self.reply(401, {})
        if self.headers.get("Authorization") != "Bearer stub-token":
            LOG["auth_failures"] += 1
            return self.reply(401, {"error": "no token"})
        if q.get("api-version", [""])[0] not in API:
            LOG["unexpected"].append([method, self.path])
            return self.reply(400, {"error": "api-version"})
        if method != "GET":
            LOG["writes"].append([method, path])
        r = self.route(method, path, payload, q)
        if r is None:
            LOG["unexpected"].append([method, self.path])
            return self.reply(404, {"error": "unexpected"})
        return self.reply(*r)

    def route(self, method, path, payload, q):
        s = STATE
        if method == "GET" and path == C + "/virtualMachines":
            return 200, {"value": [{"id": i} for i in s["vms"]]}
        if (
            method == "GET"
            and path.endswith("/instanceView")
            and path[: -len("/instanceView")] in s["vms"]
        ):
            return 200, {
                "statuses": [
                    {"code": "ProvisioningState/succeeded"},
                    {"code": s["vms"][path[: -len("/instanceView")]]},
                ]
            }
        if (
            method == "POST"
            and path.endswith("/deallocate")
            and path[: -len("/deallocate")] in s["vms"]
        ):
            s["vms"][path[: -len("/deallocate")]] = "PowerState/deallocated"
            return 202, None
        if method == "GET" and path == RG + "/providers/Microsoft.Insights/autoscalesettings":
            return 200, {
                "value": [{"id": i, "properties": dict(v)} for i, v in s["autoscale"].items()]
            }
        if method == "PATCH" and path in s["autoscale"]:
            s["autoscale"][path]["enabled"] = payload["properties"]["enabled"]
            return 200, {"id": path}
        if method == "GET" and path == C + "/virtualMachineScaleSets":
            return 200, {"value": [{"id": i, "sku": dict(v)} for i, v in s["vmss"].items()]}
        if method == "PATCH" and path in s["vmss"]:
            s["vmss"][path] = dict(payload["sku"])
            return 200, {"id": path}
        if method == "GET" and path == RG + "/providers/Microsoft.ContainerService/managedClusters":
            return 200, {"value": [{"id": AKS}]}
        if method == "GET" and path == AKS + "/agentPools":
            # Two pages, to follow nextLink.
            items = [{"id": i, "properties": copy.deepcopy(v)} for i, v in s["pools"].items()]
            if q.get("page") == ["2"]:
                return 200, {"value": items[1:]}
            return 200, {
                "value": items[:1],
                "nextLink": BASE + AKS + "/agentPools?api-version=2024-09-01&page=2",
            }
        if method == "PUT" and path in s["pools"]:
            s["pools"][path] = payload["properties"]
            return 200, {"id": path}
        if (
            method == "GET"
            and path == RG + "/providers/Microsoft.MachineLearningServices/workspaces"
        ):
            return 200, {"value": [{"id": ML}]}
        if method == "GET" and path == ML + "/computes":
            return 200, {
                "value": [
                    {"id": i, "properties": copy.deepcopy(v)} for i, v in s["computes"].items()
                ]
            }
        if method == "PATCH" and path in s["computes"]:
            s["computes"][path]["properties"]["scaleSettings"] = payload["properties"][
                "scaleSettings"
            ]
            return 200, {"id": path}
        if method == "POST" and path.endswith("/stop") and path[: -len("/stop")] in s["computes"]:
            s["computes"][path[: -len("/stop")]]["properties"]["state"] = "Stopped"
            return 202, None
        if method == "PATCH" and path.endswith("/providers/Microsoft.Resources/tags/default"):
            target = path[: -len("/providers/Microsoft.Resources/tags/default")]
            if payload.get("operation") != "Merge":
                return None
            s["tags"].setdefault(target, {}).update(payload["properties"]["tags"])
            return 200, {}
        return None

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    global BASE
    script, report = sys.argv[1], sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    BASE = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    assets = types.ModuleType("automationassets")
    assets.get_automation_variable = lambda name: (
        RG if name == "adoptbot_resource_group_id" else None
    )
    sys.modules["automationassets"] = assets
    spec = importlib.util.spec_from_file_location("adoptbot_cap", script)
    cap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cap)

    env = {"IDENTITY_ENDPOINT": BASE + "/msi/token", "IDENTITY_HEADER": "secret"}
    first = cap.main(env=env, base=BASE, today="2026-12-01")
    writes_first = list(LOG["writes"])
    LOG["writes"].clear()
    second = cap.main(env=env, base=BASE, today="2026-12-02")
    writes_second = list(LOG["writes"])

    # A resource outside the group is refused before any request is made.
    arm = cap.Arm(BASE, "stub-token", RG)
    try:
        arm.call("POST", OTHER + "/deallocate", {}, "2024-07-01")
        outside = "allowed"
    except cap.ArmError as e:
        outside = str(e)

    # Without a managed identity, the runbook stops with a clear error.
    try:
        cap.managed_identity_token({})
        no_identity = "token"
    except cap.ArmError as e:
        no_identity = str(e)

    server.shutdown()
    with open(report, "w") as f:
        json.dump(
            {
                "rg": RG,
                "state": STATE,
                "stopped_first": first,
                "stopped_second": second,
                "writes_first": writes_first,
                "writes_second": writes_second,
                "unexpected": LOG["unexpected"],
                "auth_failures": LOG["auth_failures"],
                "token_requests": LOG["token_requests"],
                "outside": outside,
                "no_identity": no_identity,
            },
            f,
            indent=1,
        )


if __name__ == "__main__":
    main()
