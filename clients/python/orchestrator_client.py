"""Workflow Orchestrator agent client: one file, standard library only (urllib).

Mirrors the TypeScript SDK (src/sdk): same methods in snake_case, same error classes,
same retry rules. See docs/AGENT_SDK.md.

    client = AgentClient(base_url, agent_id, access_token, token_file=".orchestrator/phase-token.json")
    claim = client.resume_task() or client.claim_task(capabilities=["python"])
    client.request_transition("TDD", {...artifacts...})

Every error names the method and URL it tried (never a token).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email.utils import parsedate_to_datetime
from typing import Any, Dict, List, Optional

__all__ = [
    "AgentClient",
    "OrchestratorError",
    "TransitionBlockedError",
    "ToolForbiddenError",
    "StalePhaseTokenError",
    "AuthError",
    "NotFoundError",
    "ConflictError",
    "OrchestratorUnavailableError",
]

RETRYABLE_STATUSES = {429, 502, 503, 504}
TOOL_DENIALS = {"tool_forbidden", "path_outside_workspace", "hard_link_refused", "shell_operator_not_allowed",
                "execution_disabled"}


class OrchestratorError(Exception):
    """Base of every client error: the server's stable ``code``, the HTTP ``status`` (0 when none), the body."""

    def __init__(self, message: str, code: str, status: int, body: Optional[Dict[str, Any]] = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.body = body or {}


class TransitionBlockedError(OrchestratorError):
    """A gate refused the transition or completion; ``blockers`` say what to fix."""

    def __init__(self, message: str, blockers: List[Any], warnings: List[Any], body: Optional[Dict[str, Any]] = None):
        super().__init__(message, "transition_blocked", 200, body)
        self.blockers = blockers
        self.warnings = warnings


class ToolForbiddenError(OrchestratorError):
    """The phase's policy denies this tool or these arguments."""


class StalePhaseTokenError(OrchestratorError):
    """The task moved on since the phase token was issued."""


class AuthError(OrchestratorError):
    """Missing, invalid, expired or revoked credentials, or a role that may not do this (401/403)."""


class NotFoundError(OrchestratorError):
    """No such task, gate, workflow or route (404)."""


class ConflictError(OrchestratorError):
    """The task is not in the state this call needs (409)."""


class OrchestratorUnavailableError(OrchestratorError):
    """The server could not be reached or is overloaded (network error, 429, 502/503/504) after retries."""

    def __init__(self, message: str, code: str, status: int, body: Optional[Dict[str, Any]] = None,
                 retry_after: Optional[float] = None):
        super().__init__(message, code, status, body)
        self.retry_after = retry_after


def error_from_response(status: int, body: Dict[str, Any], retry_after: Optional[float] = None,
                        tried: Optional[str] = None) -> OrchestratorError:
    """The typed error for a non-2xx answer; ``tried`` (method and URL) is named in the message."""
    code = body.get("code") if isinstance(body.get("code"), str) else "http_%d" % status
    said = body.get("message") if isinstance(body.get("message"), str) else "HTTP %d" % status
    message = "%s: %d %s: %s" % (tried, status, code, said) if tried else said
    if code == "stale_phase_token":
        return StalePhaseTokenError(message, code, status, body)
    if code in TOOL_DENIALS:
        return ToolForbiddenError(message, code, status, body)
    if status in (401, 403):
        return AuthError(message, code, status, body)
    if status == 404:
        return NotFoundError(message, code, status, body)
    if status == 409:
        return ConflictError(message, code, status, body)
    if status in RETRYABLE_STATUSES:
        return OrchestratorUnavailableError(message, code, status, body, retry_after)
    return OrchestratorError(message, code, status, body)


def _parse_retry_after(value: Optional[str]) -> Optional[float]:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class AgentClient:
    """An agent's session: claims a task, keeps its phase token current, heartbeats the lease.

    Retries (exponential backoff with jitter, honouring Retry-After) apply only to calls that are
    safe to repeat: the snapshot, heartbeat, authorize, and transitions (each carries one
    Idempotency-Key for all its attempts). Claim, complete, execute, release and fail are never retried.
    """

    def __init__(self, base_url: str, agent_id: str, access_token: str, token_file: Optional[str] = None,
                 retries: int = 3, base_delay: float = 0.2, max_delay: float = 10.0, timeout: float = 30.0,
                 heartbeat: bool = True, heartbeat_interval: Optional[float] = None):
        self.base_url = base_url.rstrip("/")
        self.agent_id = agent_id
        self.access_token = access_token
        self.token_file = token_file
        self.retries = retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self.heartbeat_enabled = heartbeat
        self.heartbeat_interval = heartbeat_interval
        self.task: Optional[Dict[str, Any]] = None
        self.phase: Optional[str] = None
        self.phase_token: Optional[str] = None
        self.allowed_tools: List[str] = []
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    # -- context manager: ``with AgentClient(...) as client`` closes at the end -------------------
    def __enter__(self) -> "AgentClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def task_id(self) -> Optional[str]:
        """The held task's id, or None."""
        return self.task["id"] if self.task else None

    # -- lifecycle --------------------------------------------------------------------------------
    def claim_task(self, capabilities: Optional[List[str]] = None) -> Optional[Dict[str, Any]]:
        """Claims a task; None when there is none (204). Not retried.

        When this agent already holds a task (an earlier process crashed), the server hands that one
        back with a fresh phase token and ``resumed: True``; the old token is stale from then on.
        """
        status, body = self._call("POST", "/api/v1/tasks/claim",
                                  {"agent_id": self.agent_id, "capabilities": capabilities or []}, retryable=False)
        if status == 204 or body is None:
            self._forget_task()
            return None
        body["resumed"] = body.get("resumed") is True
        with self._lock:
            self.task = body["task"]
            self.phase = body["phase"]
            self.phase_token = body["phase_token"]
            self.allowed_tools = body.get("allowed_tools", [])
        self._save_token()
        self._start_heartbeat(body.get("lease_expires_at"))
        return body

    def resume_task(self, capabilities: Optional[List[str]] = None) -> Optional[Dict[str, Any]]:
        """On start: picks up the task named by a token file left over from an earlier process.

        None when there is no token file (nothing claimed). Otherwise a claim, which the server answers
        with the held task (``resumed: True``, fresh phase token); when that task is gone (lease ran
        out, cancelled) it may hand out the next eligible one (``resumed: False``).
        """
        if not self.token_file or _read_token_file(self.token_file) is None:
            return None
        return self.claim_task(capabilities)

    def request_transition(self, target: str, artifacts: Dict[str, Any],
                           idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """Moves the task to ``target``; raises TransitionBlockedError when a gate blocks."""
        self._require_task()
        body = self._call("POST", "/api/v1/tasks/transition", {
            "task_id": self.task_id, "current_phase": self.phase, "target_phase": target,
            "phase_token": self.phase_token, "artifacts": artifacts,
        }, headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())}, retryable=True)[1]
        if not body.get("allowed"):
            raise _blocked("transition %s -> %s blocked" % (self.phase, target), body)
        with self._lock:
            self.phase = body["phase"]
            self.phase_token = body["new_token"]
            self.allowed_tools = body.get("allowed_tools", [])
        self._save_token()
        return body

    def complete(self, artifacts: Dict[str, Any]) -> Dict[str, Any]:
        """Completes the task from its final phase; raises TransitionBlockedError when blocked. Not retried."""
        self._require_task()
        body = self._call("POST", "/api/v1/tasks/%s/complete" % self.task_id,
                          {"phase_token": self.phase_token, "artifacts": artifacts}, retryable=False)[1]
        if not body.get("completed"):
            raise _blocked("completion blocked", body)
        self._forget_task()
        return body

    def heartbeat(self) -> Dict[str, Any]:
        """Extends the lease now (the background thread calls this too)."""
        self._require_task()
        return self._call("POST", "/api/v1/tasks/%s/heartbeat" % self.task_id, None,
                          headers={"X-Phase-Token": self.phase_token}, retryable=True)[1]

    def release(self) -> Dict[str, Any]:
        """Gives the task back to the queue; it keeps its phase and artifacts. Not retried."""
        self._require_task()
        body = self._call("POST", "/api/v1/tasks/%s/release" % self.task_id, None,
                          headers={"X-Phase-Token": self.phase_token}, retryable=False)[1]
        self._forget_task()
        return body

    def fail(self, reason: str) -> Dict[str, Any]:
        """Reports the attempt as failed; retried after a backoff or failed for good. Not retried."""
        self._require_task()
        body = self._call("POST", "/api/v1/tasks/%s/fail" % self.task_id, {"reason": reason},
                          headers={"X-Phase-Token": self.phase_token}, retryable=False)[1]
        self._forget_task()
        return body

    def get_state_snapshot(self) -> Dict[str, Any]:
        """The held task's state as the server sees it."""
        self._require_task()
        return self._call("GET", "/api/v1/state/snapshot", None,
                          headers={"X-Phase-Token": self.phase_token}, retryable=True)[1]

    # -- tools ------------------------------------------------------------------------------------
    def authorize_tool(self, name: str, args: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """May the current phase use this tool with these arguments?"""
        self._require_task()
        return self._call("POST", "/api/v1/tools/authorize", self._tool_body(name, args), retryable=True)[1]

    def use_tool(self, name: str, args: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Runs a tool on the server; raises ToolForbiddenError when denied. Not retried."""
        self._require_task()
        return self._call("POST", "/api/v1/tools/execute", self._tool_body(name, args), retryable=False)[1]

    def read_file(self, path: str) -> Dict[str, Any]:
        """read_files {path}."""
        return self.use_tool("read_files", {"path": path})

    def write_file(self, path: str, content: str) -> Dict[str, Any]:
        """write_files {path, content}."""
        return self.use_tool("write_files", {"path": path, "content": content})

    def edit_file(self, path: str, old_string: str, new_string: str, replace_all: bool = False) -> Dict[str, Any]:
        """edit_files {path, old_string, new_string, replace_all}."""
        return self.use_tool("edit_files", {"path": path, "old_string": old_string,
                                            "new_string": new_string, "replace_all": replace_all})

    def grep(self, pattern: str, **options: Any) -> Dict[str, Any]:
        """search_files (the workflow name of grep) {pattern, path?, glob?, ...}."""
        return self.use_tool("search_files", dict(options, pattern=pattern))

    def glob(self, pattern: str, **options: Any) -> Dict[str, Any]:
        """list_files (the workflow name of glob) {pattern, cwd?}."""
        return self.use_tool("list_files", dict(options, pattern=pattern))

    def run_command(self, command: Any, cwd: Optional[str] = None) -> Dict[str, Any]:
        """bash {command, cwd?}: runs without a shell."""
        args: Dict[str, Any] = {"command": command}
        if cwd is not None:
            args["cwd"] = cwd
        return self.use_tool("bash", args)

    def close(self) -> None:
        """Stops the background heartbeat; the task stays claimed."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    # -- internals --------------------------------------------------------------------------------
    def _tool_body(self, name: str, args: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        return {"task_id": self.task_id, "phase_token": self.phase_token, "tool_name": name, "args": args or {}}

    def _require_task(self) -> None:
        if self.task is None:
            raise OrchestratorError("no task is held; call claim_task() first", "no_task_held", 0)

    def _forget_task(self) -> None:
        self.close()
        with self._lock:
            self.task = None
            self.phase = None
            self.phase_token = None
            self.allowed_tools = []
        if self.token_file:
            for path in (self.token_file, self.token_file + ".headers"):
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass

    def _save_token(self) -> None:
        """Writes {task_id, phase, phase_token, base_url} atomically with mode 0600 (missing directories 0700)."""
        if not self.token_file or self.task is None:
            return
        _make_private_dirs(os.path.dirname(os.path.abspath(self.token_file)))
        # Headers first (for the curl hook, `curl -H @file`): a hook that sees the new token file
        # finds the headers of the same phase.
        _write_private(self.token_file + ".headers", _hook_header_lines(self.access_token, self.phase_token))
        _write_private(self.token_file, json.dumps({"task_id": self.task_id, "phase": self.phase,
                                                    "phase_token": self.phase_token,
                                                    "base_url": self.base_url}) + "\n")

    def _start_heartbeat(self, lease_expires_at: Optional[str]) -> None:
        self.close()
        if not self.heartbeat_enabled:
            return
        interval = self.heartbeat_interval
        if interval is None and lease_expires_at:
            try:
                from datetime import datetime
                expires = datetime.fromisoformat(lease_expires_at.replace("Z", "+00:00")).timestamp()
                interval = (expires - time.time()) / 3
            except ValueError:
                interval = None
        if interval is None:
            return
        interval = max(0.05, interval)
        self._stop = threading.Event()
        stop = self._stop

        def loop() -> None:
            while not stop.wait(interval):
                try:
                    self.heartbeat()
                except (ConflictError, StalePhaseTokenError):
                    return  # the task is gone; heartbeating again will not bring it back
                except OrchestratorError:
                    continue

        self._thread = threading.Thread(target=loop, name="orchestrator-heartbeat", daemon=True)
        self._thread.start()

    def _call(self, method: str, path: str, body: Optional[Dict[str, Any]], headers: Optional[Dict[str, str]] = None,
              retryable: bool = False):
        attempts = self.retries + 1 if retryable else 1
        last: Optional[OrchestratorUnavailableError] = None
        for attempt in range(attempts):
            if attempt > 0:
                ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
                wait = last.retry_after if last is not None and last.retry_after is not None \
                    else ceiling / 2 + random.random() * ceiling / 2
                time.sleep(min(wait, self.max_delay))
            try:
                return self._once(method, path, body, headers or {})
            except OrchestratorUnavailableError as error:
                last = error
        assert last is not None
        raise last

    def _once(self, method: str, path: str, body: Optional[Dict[str, Any]], headers: Dict[str, str]):
        data = None if body is None else json.dumps(body).encode("utf-8")
        url = self.base_url + path
        tried = "%s %s" % (method, _printable_url(url))
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", "Bearer " + self.access_token)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for key, value in headers.items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode("utf-8")
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            try:
                parsed = json.loads(text) if text else {}
            except ValueError:
                parsed = {"message": text[:500]}
            retry_after = _parse_retry_after(error.headers.get("Retry-After")) \
                if error.code in RETRYABLE_STATUSES else None
            raise error_from_response(error.code, parsed if isinstance(parsed, dict) else {}, retry_after,
                                      tried) from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise OrchestratorUnavailableError("%s: cannot reach the orchestrator: %s" % (tried, reason),
                                               "network_error", 0) from None


def _printable_url(url: str) -> str:
    """The URL as it may appear in an error: no credentials, no query string (tokens may sit there)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = "[%s]" % host
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host + (":%d" % port if port is not None else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _make_private_dirs(directory: str) -> None:
    """Creates ``directory`` and missing parents with mode 0700; existing ones are left as they are."""
    missing = []
    while directory and not os.path.isdir(directory):
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue  # created meanwhile by another process
        os.chmod(path, 0o700)  # the mode given to mkdir is masked by the umask


def _hook_header_lines(access_token: str, phase_token: str) -> str:
    """The curl hook's header file: access token, phase token, JSON body."""
    for value in (access_token, phase_token):
        # A line break would let a token add headers of its own.
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise OrchestratorError("a token holds a control character", "invalid_token", 0)
    return ("Authorization: Bearer %s\nX-Phase-Token: %s\nContent-Type: application/json\n"
            % (access_token, phase_token))


def _write_private(path: str, text: str) -> None:
    """Writes `text` to `path` atomically with mode 0600."""
    temp = "%s.%d.tmp" % (path, os.getpid())
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(temp, 0o600)
    os.replace(temp, path)


def _read_token_file(path: str) -> Optional[Dict[str, Any]]:
    """The token file's content, or None when there is none or it names no task."""
    try:
        with open(path, encoding="utf-8") as handle:
            content = json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError:
        return None  # torn or foreign content: nothing to resume from
    return content if isinstance(content, dict) and isinstance(content.get("task_id"), str) else None


def _blocked(prefix: str, body: Dict[str, Any]) -> TransitionBlockedError:
    lines = body.get("blockers") or []
    # Structured findings; servers before issue 16 sent them in ``blockers``.
    blockers = body.get("blocker_details") or lines
    summary = "; ".join(b if isinstance(b, str) else json.dumps(b) for b in lines)
    return TransitionBlockedError("%s: %s" % (prefix, summary), blockers, body.get("warnings") or [], body)
