"""The Content Library and the Course Editor through the API (issue 12), checked as well as timed:
saving a draft of 200 blocks (each save based on the revision the previous one answered, so every
save must succeed and add exactly one), publishing it, the library's title search over N courses
(the answer must list exactly the courses whose titles contain the fragment), and importing a
50-page PDF and a 50-slide .pptx (the fixtures of crates/content, made by LibreOffice)."""
import os
import random
import statistics

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "content", "tests", "fixtures")
WORDS = ["sales", "support", "onboarding", "safety", "pricing", "discovery", "negotiation", "leadership",
         "compliance", "coaching", "renewals", "security", "product", "escalation", "feedback", "hiring"]


def _p(times, q):
    s = sorted(times)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] * 1000


def draft_200(modules=10, per_module=20):
    """A draft of `modules × per_module` blocks: slides, a quiz in each module, one simulation."""
    out = []
    for m in range(modules):
        blocks = []
        for b in range(per_module):
            if b == per_module - 1:
                blocks.append({"kind": "quiz", "questions": [
                    {"prompt": f"Question {m}.{b}?", "choices": ["Yes", "No", "Maybe"], "correct": [0]}]})
            elif m == modules - 1 and b == 0:
                blocks.append({"kind": "simulation", "persona": {"name": "Dana", "role": "Buyer", "personality": "Terse"},
                               "scenario": "A renewal.", "objective": "Keep the price.", "instructions": "Push back twice.",
                               "opening_line": "Why should I renew?", "max_turns": 8,
                               "scripted_lines": ["Too expensive.", "Convince me.", "Fine."]})
            else:
                blocks.append({"kind": "slide", "markdown": f"# Slide {m}.{b}\n\n" + "Some **text** of a slide. " * 20})
        out.append({"title": f"Module {m + 1}", "blocks": blocks})
    return out


def draft_and_publish(api, workspace_id, saves, publishes):
    out = {"problems": [], "blocks": 0}
    r = api.request("POST", f"/api/v1/workspaces/{workspace_id}/courses", {"title": "Bench: 200 blocks"})
    if r.status != 201:
        out["problems"].append(f"creating the course answered {r!r}")
        return out
    course, revision = r.json["id"], r.json["revision"]
    modules = draft_200()
    rubric = {"pass_mark": 70, "criteria": [{"title": f"C{i}", "weight": 1 + i, "guidance": "Says something concrete and relevant"}
                                            for i in range(5)]}
    times = []
    for i in range(saves):
        modules[0]["title"] = f"Module 1 (save {i})"
        r = api.request("PUT", f"/api/v1/courses/{course}/draft", {"revision": revision, "modules": modules, "rubric": rubric})
        if r.status != 200:
            out["problems"].append(f"save {i} answered {r!r}")
            return out
        if r.json["revision"] != revision + 1:
            out["problems"].append(f"save {i}: revision {r.json['revision']} after {revision}")
        revision = r.json["revision"]
        # Keep the ids the server assigned, as the editor does.
        modules = r.json["draft"]["modules"]
        times.append(r.seconds)
    out["blocks"] = sum(len(m["blocks"]) for m in modules)
    if out["blocks"] != 200:
        out["problems"].append(f"the draft holds {out['blocks']} blocks, not 200")
    out["save_p50_ms"], out["save_p95_ms"], out["saves"] = _p(times, 0.5), _p(times, 0.95), saves
    times = []
    for n in range(1, publishes + 1):
        r = api.request("POST", f"/api/v1/courses/{course}/publish")
        if r.status != 201 or r.json.get("number") != n:
            out["problems"].append(f"publish {n} answered {r!r}")
            return out
        times.append(r.seconds)
    out["publish_p50_ms"], out["publish_p95_ms"], out["publishes"] = _p(times, 0.5), _p(times, 0.95), publishes
    v = api.request("GET", f"/api/v1/courses/{course}/versions/{publishes}")
    if v.status != 200 or sum(len(m["blocks"]) for m in v.json["modules"]) != 200:
        out["problems"].append(f"the last version does not hold the 200 blocks: {v!r}")
    return out


def library(api, workspace_id, courses, queries, seed=12):
    """Creates `courses` courses with titles of two words and a number, then searches fragments."""
    out = {"problems": [], "courses": courses}
    rng = random.Random(seed)
    titles = []
    for i in range(courses):
        title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {i}"
        r = api.request("POST", f"/api/v1/workspaces/{workspace_id}/courses", {"title": title, "tags": [rng.choice(WORDS[:4])]})
        if r.status != 201:
            out["problems"].append(f"creating course {i} answered {r!r}")
            return out
        titles.append(title.lower())
    times = []
    for i in range(queries):
        fragment = rng.choice(WORDS)[: rng.choice([3, 4, 5, 8])]
        if i % 5 == 0:
            fragment = f"{rng.choice(WORDS)} {rng.randrange(courses)}"
        r = api.request("GET", f"/api/v1/workspaces/{workspace_id}/courses?q={fragment.replace(' ', '%20')}&limit=50")
        if r.status != 200:
            out["problems"].append(f"search {fragment!r} answered {r!r}")
            return out
        times.append(r.seconds)
        expected = sum(1 for t in titles if fragment in t)
        got = len(r.json["items"])
        if got != min(50, expected) or (expected > 50) != (r.json.get("next_cursor") is not None):
            out["problems"].append(f"search {fragment!r}: {got} listed, {expected} titles contain it")
    out["queries"], out["p50_ms"], out["p95_ms"] = queries, _p(times, 0.5), _p(times, 0.95)
    return out


def imports(api, workspace_id, repeats):
    out = {"problems": []}
    boundary = "lyceum-bench-boundary"
    for name in ("long.pdf", "long.pptx"):
        with open(os.path.join(FIXTURES, name), "rb") as f:
            data = f.read()
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        times = []
        for _ in range(repeats):
            r = api.request("POST", f"/api/v1/workspaces/{workspace_id}/courses/import", body,
                            content_type=f"multipart/form-data; boundary={boundary}")
            if r.status != 201:
                out["problems"].append(f"importing {name} answered {r!r}")
                break
            slides = sum(len(m["blocks"]) for m in r.json["draft"]["modules"])
            if slides < 50:
                out["problems"].append(f"{name} imported as {slides} slides, not 50")
            times.append(r.seconds)
        if times:
            out[name] = {"p50_ms": _p(times, 0.5), "max_ms": max(times) * 1000, "runs": len(times)}
    return out
