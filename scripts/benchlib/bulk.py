"""Bulk changes through the API, one request each, timed around that request only — and checked
all-or-nothing: the counts the API lists before and after, and a refused request changes nothing."""
import collections
import os
import random

INVITE_DOMAIN = "invite.bench.example.test"


def _count_invitations(api, org_id, prefix):
    items = api.list_all(f"/api/v1/orgs/{org_id}/invitations")
    pending = sum(1 for i in items if i.get("status") == "pending")
    ours = sum(1 for i in items if i.get("email", "").startswith(prefix))
    return pending, ours


def invite(api, org_id, workspace_id, members_count, wanted, max_batch):
    """Invites `wanted` new addresses (or as many as the free seats allow) to a workspace in one
    request; then checks that a batch one address over the seats left is refused whole."""
    out = {"wanted": wanted, "problems": [], "notes": []}
    seats = api.expect(200, "GET", f"/api/v1/orgs/{org_id}").json["seats"]
    tag = f"bench{os.getpid()}"
    pending, _ = _count_invitations(api, org_id, tag)
    free = seats - members_count - pending
    n = max(0, min(wanted, free, max_batch))
    out.update(seats=seats, seats_free_before=free, invited_requested=n)
    if n < wanted:
        out["notes"].append(f"only {n} of {wanted} fit ({seats} seats, {members_count} members, "
                            f"{pending} pending invitations, batch limit {max_batch})")
    if n == 0:
        out["problems"].append("no free seat: nothing to invite")
        return out
    emails = [f"{tag}.{i}@{INVITE_DOMAIN}" for i in range(n)]
    r = api.request("POST", f"/api/v1/workspaces/{workspace_id}/invitations", {"emails": emails, "role": "learner"})
    out["seconds"] = r.seconds
    out["status"] = r.status
    if r.status != 200:
        out["problems"].append(f"invitation of {n} answered {r!r}")
        return out
    outcomes = collections.Counter(x.get("outcome") for x in r.json.get("results", []))
    out["outcomes"] = dict(outcomes)
    if outcomes.get("invited") != n:
        out["problems"].append(f"expected {n} 'invited' outcomes, got {dict(outcomes)}")
    pending_after, ours = _count_invitations(api, org_id, tag + ".")
    out["pending_before"], out["pending_after"] = pending, pending_after
    if ours != n or pending_after != pending + n:
        out["problems"].append(f"after the batch: {ours} of its {n} invitations listed, "
                               f"pending {pending} -> {pending_after}")

    # One address over the seats left: the whole batch must be refused, and nothing listed.
    over = free - n + 1
    if over > max_batch:
        out["notes"].append(f"seat-limit refusal not tried: {over} addresses exceed the batch limit {max_batch}")
        return out
    emails = [f"{tag}over.{i}@{INVITE_DOMAIN}" for i in range(over)]
    r = api.request("POST", f"/api/v1/workspaces/{workspace_id}/invitations", {"emails": emails, "role": "learner"})
    pending_refused, ours = _count_invitations(api, org_id, tag + "over.")
    out["over_seats"] = {"addresses": over, "status": r.status, "code": r.code,
                         "pending_after": pending_refused, "listed": ours}
    if r.status != 409 or r.code != "seat_limit" or ours != 0 or pending_refused != pending_after:
        out["problems"].append(f"a batch {over} over the seats left: answered {r!r}, then {ours} of it listed, "
                               f"pending {pending_after} -> {pending_refused} (must be 409 seat_limit, nothing)")
    out["atomic"] = not out["problems"]
    return out


def remove(api, workspace_id, members, owner_user_id, wanted, seed=11):
    """Removes `wanted` non-owner members of a workspace in one request (Bearer key) — after a
    request for the same members plus the caller themself (session cookie) was refused whole."""
    out = {"wanted": wanted, "problems": [], "notes": []}
    path = f"/api/v1/workspaces/{workspace_id}/members"
    candidates = [m["user_id"] for m in members if m.get("role") != "owner" and m["user_id"] != owner_user_id]
    random.Random(seed).shuffle(candidates)
    n = min(wanted, len(candidates))
    if n < wanted:
        out["notes"].append(f"only {n} removable members in the workspace")
    if n < 2:
        out["problems"].append("not enough members to remove")
        return out
    chosen = candidates[:n]
    before = len(members)
    out.update(removed_requested=n, members_before=before)

    blocked = chosen[: n - 1] + [owner_user_id]
    r = api.request("POST", f"{path}/remove", {"user_ids": blocked}, auth="cookie")
    listed = {m["user_id"] for m in api.list_all(path)}
    still = sum(1 for u in chosen[: n - 1] if u in listed)
    out["blocked"] = {"status": r.status, "code": r.code, "members_after": len(listed), "still_members": still}
    if r.status != 409 or r.code != "cannot_remove_self" or len(listed) != before or still != n - 1:
        out["problems"].append(f"removal including the caller: answered {r!r}, members {before} -> {len(listed)}, "
                               f"{still} of {n - 1} others still members (must be 409 cannot_remove_self, nothing)")

    r = api.request("POST", f"{path}/remove", {"user_ids": chosen})
    out["seconds"] = r.seconds
    out["status"] = r.status
    if r.status != 200:
        out["problems"].append(f"removal of {n} answered {r!r}")
        return out
    out["removed"] = r.json.get("removed")
    listed = {m["user_id"] for m in api.list_all(path)}
    left = sum(1 for u in chosen if u in listed)
    out["members_after"] = len(listed)
    if out["removed"] != n or len(listed) != before - n or left:
        out["problems"].append(f"removal of {n}: answered removed={out['removed']}, members {before} -> "
                               f"{len(listed)}, {left} of them still listed")
    out["atomic"] = not out["problems"]
    return out
