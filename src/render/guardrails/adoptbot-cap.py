"""The adoptbot cost cap runbook (Azure Automation, Python 3).

Started when the experiment's budget reaches 100% of its cost cap. With the Automation
account's system-assigned identity, whose custom role allows exactly these actions on the
experiment's resource group, it:

- deallocates every running virtual machine;
- disables the autoscale settings and scales every VM scale set to 0 instances;
- scales every AKS user node pool (the GPU pools) to 0 nodes, autoscaling off;
- scales every Azure ML compute cluster to 0 nodes and stops compute instances;
- tags what it stopped `adoptbot-capped: <date>`.

It deletes nothing, and only touches resources inside the resource group named by the
Automation variable `adoptbot_resource_group_id`. Running it twice changes nothing more.
"""

import datetime
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

ARM = "https://management.azure.com"
CAPPED_TAG = "adoptbot-capped"
API = {
    "vm": "2024-07-01",
    "autoscale": "2022-10-01",
    "aks": "2024-09-01",
    "ml": "2024-10-01",
    "tags": "2021-04-01",
}


class ArmError(Exception):
    pass


def managed_identity_token(env):
    """A token for ARM from the sandbox's managed identity endpoint."""
    endpoint = env.get("IDENTITY_ENDPOINT")
    header = env.get("IDENTITY_HEADER")
    if not endpoint or not header:
        raise ArmError(
            "IDENTITY_ENDPOINT and IDENTITY_HEADER are not set: run with a managed identity"
        )
    query = urllib.parse.urlencode({"resource": ARM + "/", "api-version": "2019-08-01"})
    req = urllib.request.Request(
        endpoint + "?" + query,
        headers={"X-IDENTITY-HEADER": header, "Metadata": "true"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read().decode("utf-8"))["access_token"]


class Arm:
    def __init__(self, base, token, scope):
        self.base = base.rstrip("/")
        self.token = token
        self.scope = scope.rstrip("/")
        self.calls = []

    def call(self, method, path, body=None, api=None):
        inside = self.scope.lower()
        if not path.lower().startswith(inside + "/") and path.lower() != inside:
            raise ArmError(f"refusing to touch {path} outside {self.scope}")
        url = self.base + path
        if api:
            url += ("&" if "?" in url else "?") + "api-version=" + api
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        self.calls.append((method, path))
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                text = resp.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")
            raise ArmError(f"{method} {path}: HTTP {e.code} {detail}") from e
        return json.loads(text) if text.strip() else {}

    def list(self, path, api):
        out = []
        page = self.call("GET", path, api=api)
        while True:
            out.extend(page.get("value", []))
            link = page.get("nextLink")
            if not link:
                return out
            if not link.startswith(self.base + "/"):
                raise ArmError(f"nextLink {link} leaves {self.base}")
            page = self.call("GET", link[len(self.base) :])

    def tag(self, resource_id, today):
        body = {"operation": "Merge", "properties": {"tags": {CAPPED_TAG: today}}}
        self.call(
            "PATCH",
            resource_id + "/providers/Microsoft.Resources/tags/default",
            body,
            API["tags"],
        )


def stop_vms(arm, today):
    stopped = []
    for vm in arm.list(arm.scope + "/providers/Microsoft.Compute/virtualMachines", API["vm"]):
        view = arm.call("GET", vm["id"] + "/instanceView", api=API["vm"])
        codes = [s.get("code", "") for s in view.get("statuses", [])]
        if "PowerState/deallocated" in codes:
            continue
        arm.call("POST", vm["id"] + "/deallocate", {}, API["vm"])
        arm.tag(vm["id"], today)
        stopped.append(vm["id"])
    return stopped


def stop_scale_sets(arm, today):
    stopped = []
    for setting in arm.list(
        arm.scope + "/providers/Microsoft.Insights/autoscalesettings", API["autoscale"]
    ):
        if setting.get("properties", {}).get("enabled", True):
            arm.call(
                "PATCH",
                setting["id"],
                {"properties": {"enabled": False}},
                API["autoscale"],
            )
            arm.tag(setting["id"], today)
            stopped.append(setting["id"])
    for vmss in arm.list(
        arm.scope + "/providers/Microsoft.Compute/virtualMachineScaleSets", API["vm"]
    ):
        sku = dict(vmss.get("sku", {}))
        if sku.get("capacity", 0) == 0:
            continue
        sku["capacity"] = 0
        arm.call("PATCH", vmss["id"], {"sku": sku}, API["vm"])
        arm.tag(vmss["id"], today)
        stopped.append(vmss["id"])
    return stopped


def stop_node_pools(arm, today):
    stopped = []
    for cluster in arm.list(
        arm.scope + "/providers/Microsoft.ContainerService/managedClusters", API["aks"]
    ):
        touched = False
        for pool in arm.list(cluster["id"] + "/agentPools", API["aks"]):
            props = dict(pool.get("properties", {}))
            if props.get("mode") != "User":
                continue
            if props.get("count", 0) == 0 and not props.get("enableAutoScaling"):
                continue
            props["enableAutoScaling"] = False
            props["count"] = 0
            props.pop("minCount", None)
            props.pop("maxCount", None)
            tags = dict(props.get("tags") or {})
            tags[CAPPED_TAG] = today
            props["tags"] = tags
            arm.call("PUT", pool["id"], {"properties": props}, API["aks"])
            stopped.append(pool["id"])
            touched = True
        if touched:
            arm.tag(cluster["id"], today)
    return stopped


def stop_ml_compute(arm, today):
    stopped = []
    for ws in arm.list(
        arm.scope + "/providers/Microsoft.MachineLearningServices/workspaces", API["ml"]
    ):
        for compute in arm.list(ws["id"] + "/computes", API["ml"]):
            props = compute.get("properties", {})
            kind = props.get("computeType")
            if kind == "AmlCompute":
                scale = (props.get("properties") or {}).get("scaleSettings") or {}
                if scale.get("maxNodeCount", 0) == 0:
                    continue
                body = {"properties": {"scaleSettings": {"maxNodeCount": 0, "minNodeCount": 0}}}
                arm.call("PATCH", compute["id"], body, API["ml"])
            elif kind == "ComputeInstance":
                state = (props.get("properties") or {}).get("state")
                if state in ("Stopped", "Stopping"):
                    continue
                arm.call("POST", compute["id"] + "/stop", {}, API["ml"])
            else:
                continue
            arm.tag(compute["id"], today)
            stopped.append(compute["id"])
    return stopped


def run(arm, today):
    """Stop everything in the resource group; returns the ids of what was stopped."""
    stopped = []
    for step in (stop_vms, stop_scale_sets, stop_node_pools, stop_ml_compute):
        stopped.extend(step(arm, today))
    return stopped


def main(env=None, base=ARM, today=None):
    env = os.environ if env is None else env
    import automationassets  # provided by the Azure Automation sandbox

    scope = automationassets.get_automation_variable("adoptbot_resource_group_id")
    today = today or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    arm = Arm(base, managed_identity_token(env), scope)
    stopped = run(arm, today)
    print(json.dumps({"capped_on": today, "resource_group": scope, "stopped": stopped}))
    return stopped


if __name__ == "__main__":
    try:
        main()
    except ArmError as e:
        print(f"adoptbot-cap: {e}", file=sys.stderr)
        sys.exit(1)
