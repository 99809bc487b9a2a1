"""A small client for Lyceum's JSON API over one kept-alive connection: sign in, API keys, lists."""
import http.client
import json
import time
import urllib.parse


class ApiError(RuntimeError):
    pass


class Response:
    def __init__(self, status, headers, raw, seconds):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.seconds = seconds
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    @property
    def code(self):
        return self.json.get("code") if isinstance(self.json, dict) else None

    def __repr__(self):
        return f"<{self.status} {self.raw[:300]!r}>"


class Api:
    def __init__(self, port, timeout=300):
        self.port = port
        self.timeout = timeout
        self.key = None
        self.cookie = None
        self._conn = None

    def _connection(self):
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self._conn

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None, auth="key", content_type="application/json"):
        """One request; `auth` is "key" (Bearer API key), "cookie" (the owner's session) or None.
        The body is encoded before the clock starts: `Response.seconds` is the HTTP exchange only."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        if auth == "key" and self.key:
            headers["Authorization"] = "Bearer " + self.key
        elif auth == "cookie" and self.cookie:
            headers["Cookie"] = "lyceum_session=" + self.cookie
        for attempt in (1, 2):
            conn = self._connection()
            started = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                seconds = time.perf_counter() - started
                return Response(resp.status, resp.headers, raw.decode("utf-8", "replace"), seconds)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed: retry once on a new one.
                self.close()
                if attempt == 2:
                    raise

    def expect(self, status, method, path, body=None, auth="key"):
        r = self.request(method, path, body, auth)
        if r.status != status:
            raise ApiError(f"{method} {path}: expected {status}, got {r!r}")
        return r

    def login(self, email, password):
        """Signs in; keeps the `lyceum_session` cookie; returns the user."""
        r = self.expect(200, "POST", "/api/v1/auth/login", {"email": email, "password": password}, auth=None)
        for name, value in r.headers.items():
            if name.lower() == "set-cookie" and value.startswith("lyceum_session="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1]
        if not self.cookie:
            raise ApiError("login answered 200 without a lyceum_session cookie")
        return r.json["user"]

    def create_key(self, org_id, name="bench", role="owner"):
        r = self.expect(201, "POST", f"/api/v1/orgs/{org_id}/api-keys", {"name": name, "role": role}, auth="cookie")
        self.key = r.json["key"]
        return self.key

    def list_all(self, path, limit=500, max_pages=None):
        """Every item of a paged list (`{items, next_cursor}`), following cursors."""
        items, cursor, pages = [], None, 0
        sep = "&" if "?" in path else "?"
        while True:
            url = f"{path}{sep}limit={limit}"
            if cursor:
                url += "&cursor=" + urllib.parse.quote(cursor, safe="")
            r = self.expect(200, "GET", url)
            items.extend(r.json["items"])
            cursor = r.json.get("next_cursor")
            pages += 1
            if not cursor or (max_pages and pages >= max_pages):
                return items
