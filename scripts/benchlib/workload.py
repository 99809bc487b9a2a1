"""What the Lyceum load runs send, taken from the dataset through the API: check bodies over many
(user, permission, workspace) triples, and member-search fragments that exist."""
import json
import random
import re
import urllib.parse

# Used when the API does not list the catalogue (see `permission_names`).
FALLBACK_PERMISSIONS = [
    "workspace.view", "content.view", "content.view_assigned", "content.create", "members.view",
    "members.invite", "members.manage", "reviews.grade", "settings.manage", "usage.view", "audit.view",
    "workspaces.create", "credits.allocate", "billing.manage", "api_keys.manage", "org.manage",
]


def permission_names(api, workspace_id):
    """The catalogue as an organisation owner holds it in a workspace (every permission)."""
    r = api.request("GET", f"/api/v1/workspaces/{workspace_id}/permissions")
    names = (r.json or {}).get("permissions") if r.status == 200 else None
    return names if names and len(names) >= 5 else FALLBACK_PERMISSIONS


def check_bodies(org_members, ws_members, all_workspace_ids, permissions, count, seed=5):
    """`count` check bodies: half a user in a workspace they belong to, 30 % any member in any
    workspace (mostly denied), 20 % at organisation scope. `ws_members`: {workspace id: [user ids]}."""
    rng = random.Random(seed)
    users = [m["user_id"] for m in org_members]
    pairs = [(u, ws) for ws, us in ws_members.items() for u in us]
    bodies = []
    for i in range(count):
        kind = i % 10
        if kind < 5 and pairs:
            user, ws = rng.choice(pairs)
        elif kind < 8:
            user, ws = rng.choice(users), rng.choice(all_workspace_ids)
        else:
            user, ws = rng.choice(users), None
        body = {"user_id": user, "permission": rng.choice(permissions)}
        if ws:
            body["workspace_id"] = ws
        bodies.append(json.dumps(body, separators=(",", ":")))
    return bodies


def search_fragments(members, count, seed=7):
    """Search terms drawn from real members, of four kinds: a 3-letter piece of a name (many
    matches), a last name, an email piece with digits such as `lee.12` (few), a whole address (one)."""
    rng = random.Random(seed)
    picked = []
    sample = rng.sample(members, min(len(members), count * 4))
    for i, m in enumerate(sample):
        name, email = m.get("name") or "", m.get("email") or ""
        local = email.split("@", 1)[0]
        kind = i % 4
        if kind == 0:
            word = rng.choice(name.split() or [local])
            term = word[:3].lower() if len(word) >= 3 else word.lower()
        elif kind == 1:
            term = (name.split()[-1] if name.split() else local).lower()
        elif kind == 2:
            m2 = re.match(r"^[^.]+\.([a-z0-9]+)\.(\d+)$", local)
            term = f"{m2.group(1)}.{m2.group(2)[:2]}" if m2 else local[:6]
        else:
            term = email.lower()
        if term and term not in picked:
            picked.append(term)
        if len(picked) >= count:
            break
    return picked


def members_path(scope_path, term):
    return f"{scope_path}?q={urllib.parse.quote(term, safe='')}"


def existing_fragments(api, scope_path, terms):
    """The terms that find at least one member in this scope (each asked once)."""
    found = []
    for t in terms:
        r = api.request("GET", members_path(scope_path, t))
        if r.status != 200:
            raise RuntimeError(f"member search {t!r} on {scope_path} answered {r!r}")
        if r.json.get("items"):
            found.append(t)
    return found
