"""laambda Python runtime bootstrap.

Runs inside a Python function's child process and speaks the AWS Lambda Runtime
API (2018-06-01) the way AWS's `awslambdaric` does: the same error types and
messages, the same stack trace shape, the same context object and logging format.

Start it as:  python3.11 -S -u [-X pycache_prefix=<cache dir>] <dir>/bootstrap.py
  -S  skips `site` (~35 ms here); we add site-packages to sys.path ourselves.
  -u  unbuffered stdout/stderr, like awslambdaric's Unbuffered wrapper, so
      handler output is written before the response is posted.
  No -B: cached .pyc files make vendored dependencies import ~3x faster;
  pycache_prefix keeps them out of the function's code directory.

Cold start is the priority, so only C/frozen modules load on the common path:
`_socket` instead of socket/http.client (which pull in enum, email, ...), `_json`
instead of json (which pulls in re), and logging/traceback load on demand.
"""
import _json
import _socket
import os
import sys
from time import gmtime, time

# --- sys.path: code dir first (as on AWS), site-packages last ---------------
# With -S there is no site-packages entry; build it from the prefix instead of
# importing site/sysconfig. .pth files are deliberately not processed.
TASK_ROOT = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
if getattr(sys.flags, "safe_path", False):  # -P (3.11+) leaves sys.path[0] alone
    sys.path.insert(0, TASK_ROOT)
else:
    sys.path[0] = TASK_ROOT  # replaces this script's own directory
_pyver = "python%d.%d" % sys.version_info[:2]
for _prefix in dict.fromkeys((sys.prefix, sys.exec_prefix)):
    sys.path.append(_prefix + "/lib/" + _pyver + "/site-packages")
if sys.prefix.startswith("/usr"):  # Debian/Ubuntu system interpreters
    sys.path += ["/usr/local/lib/" + _pyver + "/dist-packages", "/usr/lib/python3/dist-packages"]
os.chdir(TASK_ROOT)


# --- JSON on top of the C accelerator -----------------------------------------
# Same results as json.loads/json.dumps with default arguments. Anything the fast
# path cannot handle (bad input, BOM, odd encodings) is redone by the real json
# module, so errors carry json's exact messages.
class _DecoderSettings:  # the attributes _json.make_scanner reads: JSONDecoder() defaults
    strict = True
    object_hook = object_pairs_hook = None
    parse_float, parse_int = float, int
    parse_constant = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}.__getitem__


_scan = _json.make_scanner(_DecoderSettings)
_WS = " \t\n\r"


def json_loads(data):
    try:
        text = data.decode() if isinstance(data, bytes) else data
        value, end = _scan(text, len(text) - len(text.lstrip(_WS)))
        if not text[end:].strip(_WS):
            return value
    except Exception:
        pass
    import json
    return json.loads(data)


def _json_default(obj):
    # awslambdaric (simplejson) serialises Decimal, e.g. values read from
    # DynamoDB by boto3, as JSON numbers.
    decimal = sys.modules.get("decimal")
    if decimal and isinstance(obj, decimal.Decimal):
        if not obj.is_finite():
            return float(obj)
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


# AWS's python3.12+ runtimes send non-ASCII text as-is; older ones escape it.
_encode_str = _json.encode_basestring if sys.version_info >= (3, 12) else _json.encode_basestring_ascii


def json_dumps(obj):
    # A fresh markers dict per call: a failed encode can leave stale entries.
    encode = _json.make_encoder({}, _json_default, _encode_str, None, ": ", ", ", False, False, True)
    return "".join(encode(obj, 0))


# --- Minimal HTTP/1.1 client for the Runtime API -----------------------------
class RuntimeApiError(Exception):
    pass


class RuntimeApi:
    """One keep-alive connection; responses framed by Content-Length or chunked."""

    def __init__(self, address):
        # "host:port" optionally followed by a path prefix: always concatenate.
        hostport, slash, prefix = address.partition("/")
        self.base = slash + prefix + "/2018-06-01/runtime"
        self.host_header = hostport
        host, _, port = hostport.rpartition(":")
        self.addr = (host.strip("[]"), int(port))
        self.family = _socket.AF_INET6 if host.startswith("[") else _socket.AF_INET
        self.sock = None
        self.buf = bytearray()
        self.used = False  # has the current connection already served a request?

    def _connect(self):
        self.sock = _socket.socket(self.family, _socket.SOCK_STREAM)
        self.sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        self.sock.connect(self.addr)
        self.buf.clear()
        self.used = False

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, method, path, body=None, headers=""):
        head = f"{method} {self.base}{path} HTTP/1.1\r\nHost: {self.host_header}\r\n{headers}"
        if body is not None:
            head += f"Content-Length: {len(body)}\r\n"
        message = (head + "\r\n").encode() + (body or b"")
        while True:
            if self.sock is None:
                self._connect()
            reused, self.got_bytes = self.used, False
            try:
                self.sock.sendall(message)
                return self._read_response()
            except OSError:
                self.close()
                # The server may close an idle keep-alive connection just as we
                # reuse it; the request was then never seen, so send it again.
                if not reused or self.got_bytes:
                    raise

    def _fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("Runtime API closed the connection")
        self.got_bytes = True
        self.buf += chunk

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def _line(self):
        while (end := self.buf.find(b"\r\n")) < 0:
            self._fill()
        return self._take(end + 2)[:-2]

    def _read_response(self):
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._fill()
        # Header bytes are UTF-8 (the JSON-valued Lambda headers may carry it).
        lines = self._take(end + 4).decode("utf-8", "replace").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:-2]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while size := int(self._line().split(b";")[0], 16):
                parts.append(self._take(size))
                self._take(2)
            while self._line():  # trailers, then the final empty line
                pass
            body = b"".join(parts)
        elif "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        elif status in (204, 304) or status < 200:
            body = b""
        else:  # no framing: the body runs until the server closes
            try:
                while True:
                    self._fill()
            except ConnectionError:
                pass
            body = bytes(self.buf)
            self.buf.clear()
            self.close()
        self.used = True
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def post(self, path, body, headers=""):
        status, _, reply = self.request("POST", path, body, headers)
        if not 200 <= status < 300:
            # awslambdaric would crash here; we log and keep serving, and leave
            # the invocation's fate to the platform.
            sys.stderr.write(f"laambda runtime: POST {path} failed: HTTP {status} {reply[:200]!r}\n")


# --- Context object (same attributes and semantics as awslambdaric) ---------
class LambdaContext:
    def __init__(self, request_id, deadline_ms, function_arn, client_context, identity, tenant_id):
        env = os.environ
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")  # a str, as on AWS
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = function_arn
        self.tenant_id = tenant_id
        w3c = client_context.pop("w3c", None) if isinstance(client_context, dict) else None
        self._w3c = {k: v for k, v in w3c.items() if k in ("traceparent", "tracestate", "baggage")
                     and isinstance(v, str)} if isinstance(w3c, dict) else {}
        self.client_context = _from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _from_dict(Client, self.client_context.client)
        identity = identity or {}
        self.identity = CognitoIdentity()
        self.identity.cognito_identity_id = identity.get("cognitoIdentityId")
        self.identity.cognito_identity_pool_id = identity.get("cognitoIdentityPoolId")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time() * 1000), 0)

    def w3c(self):
        return dict(self._w3c)

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        fields = ("aws_request_id", "log_group_name", "log_stream_name", "function_name", "memory_limit_in_mb",
                  "function_version", "invoked_function_arn", "client_context", "identity", "tenant_id")
        return f"LambdaContext([{','.join(f'{f}={getattr(self, f)}' for f in fields)}])"


class _Slots:
    __slots__ = ()

    def __repr__(self):
        return f"{type(self).__name__}([{','.join(f'{f}={getattr(self, f)}' for f in self.__slots__)}])"


class CognitoIdentity(_Slots):
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")


class Client(_Slots):
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")


class ClientContext(_Slots):
    __slots__ = ("custom", "env", "client")


def _from_dict(cls, values):
    if values is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, values.get(field))
    return obj


# --- Logging: root logger as awslambdaric sets it up -------------------------
# Importing logging costs ~8 ms, so it is configured the moment anything first
# imports it (user code, boto3, ...) -- still before user code can call
# logging.basicConfig(), so that call stays a no-op exactly as on AWS.
current_request_id = ""


def _setup_logging(logging):
    logging.Formatter.converter = gmtime  # awslambdaric sets this globally

    class LambdaLoggerHandler(logging.Handler):
        def emit(self, record):
            try:
                sys.stdout.write(self.format(record))
            except Exception:
                self.handleError(record)

    def add_request_id(record):
        record.aws_request_id = current_request_id
        record.tenant_id = None
        return True

    handler = LambdaLoggerHandler()
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(add_request_id)
    root = logging.getLogger()
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    level = "DEBUG" if level == "TRACE" else level
    if level in logging._nameToLevel:
        root.setLevel(level)
    root.addHandler(handler)


class _ConfigureLoggingOnImport:
    """Meta-path hook: finds `logging` with the normal finders, then runs
    _setup_logging right after the module body executes."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "logging":
            return None
        for finder in sys.meta_path:
            if finder is not cls and hasattr(finder, "find_spec"):
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
        else:
            return None
        load = spec.loader.exec_module  # the loader instance is private to this spec

        def exec_module(module):
            load(module)
            sys.meta_path.remove(cls)
            _setup_logging(module)
        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _ConfigureLoggingOnImport)


# --- Errors -------------------------------------------------------------------
class FaultException(Exception):
    def __init__(self, error_type, message, trace=None):
        self.error_type, self.message, self.trace = error_type, message, trace


def error_result(message, error_type, trace, request_id=""):
    return {"errorMessage": message or "", "errorType": error_type or "", "requestId": request_id or "",
            "stackTrace": trace or []}


def exception_result(exc, request_id=""):
    """Error body for an exception from user code, with awslambdaric's trace shape."""
    import traceback
    frames = [(f.filename, f.lineno, f.name, f.line) for f in traceback.extract_tb(exc.__traceback__)]
    # Drop the leading frames that belong to this bootstrap.
    for i, frame in enumerate(frames):
        if "/bootstrap.py" not in frame[0]:
            frames = frames[i:]
            break
    # Plain tuples (not FrameSummary) so 3.11 prints no ^^^ caret lines, as on AWS.
    return error_result(str(exc), type(exc).__name__, traceback.format_list(frames), request_id)


def log_error(result):
    # awslambdaric's text: "[ERROR] Type: message" + "Traceback ..." + frames. It
    # joins lines with "\r" (one CloudWatch event) and indents with U+00A0; we use
    # plain "\n" and spaces since the platform captures stdout line by line.
    lines = ["[ERROR] " + ": ".join(filter(None, (result["errorType"], result["errorMessage"]))),
             "Traceback (most recent call last):"]
    for entry in result["stackTrace"]:
        lines += entry.splitlines() or [""]
    sys.stdout.write("\n".join(lines) + "\n")


# --- Init: resolve _HANDLER ------------------------------------------------------
def load_handler(spec):
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as e:
        raise FaultException("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {e}")
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise FaultException("Runtime.BuiltInModuleConflict",
                                 f"Cannot use built-in module {module_name} as a handler module")
        dotted = module_name.replace("/", ".")
        __import__(dotted)
        module = sys.modules[dotted]
    except ImportError as e:
        raise FaultException("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {e}")
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {e}", trace)
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultException("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")


# --- Invocation loop ---------------------------------------------------------------
def _parse_header_json(value, what):
    if not value:
        return None
    try:
        return json_loads(value)
    except Exception as e:
        raise FaultException("Runtime.LambdaContextUnmarshalError", f"Unable to parse {what} JSON: {e}")


def invoke(api, handler, headers, body):
    request_id = headers.get("lambda-runtime-aws-request-id", "")
    try:
        context = LambdaContext(
            request_id, int(headers.get("lambda-runtime-deadline-ms") or 0),
            headers.get("lambda-runtime-invoked-function-arn"),
            _parse_header_json(headers.get("lambda-runtime-client-context"), "Client Context"),
            _parse_header_json(headers.get("lambda-runtime-cognito-identity"), "Cognito Identity"),
            headers.get("lambda-runtime-aws-tenant-id"))
        content_type = headers.get("content-type")
        if content_type is None or "json" in content_type:
            try:
                event = json_loads(body)
            except Exception as e:
                raise FaultException("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}")
        else:  # awslambdaric hands over non-JSON payloads as raw bytes
            event = body
        result = handler(event, context)
        if isinstance(result, bytes):
            payload, content_type = result, "application/unknown"
        else:
            try:
                payload, content_type = json_dumps(result).encode(), "application/json"
            except Exception as e:
                raise FaultException("Runtime.MarshalError", f"Unable to marshal response: {e}")
    except FaultException as e:
        error = error_result(e.message, e.error_type, e.trace, request_id)
    except Exception as e:  # SystemExit/KeyboardInterrupt end the process, as on AWS
        error = exception_result(e, request_id)
    else:
        api.post(f"/invocation/{request_id}/response", payload, f"Content-Type: {content_type}\r\n")
        return
    log_error(error)
    api.post(f"/invocation/{request_id}/error", json_dumps(error).encode(),
             f"Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: {error['errorType']}\r\n")


def main():
    global current_request_id
    api = RuntimeApi(os.environ["AWS_LAMBDA_RUNTIME_API"])
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Exception as e:  # SystemExit during import just ends the process
        if isinstance(e, FaultException):
            error = error_result(e.message, e.error_type, e.trace)
        else:
            error = exception_result(e)
        log_error(error)
        api.post("/init/error", json_dumps(error).encode(),
                 f"Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: {error['errorType']}\r\n")
        sys.exit(1)

    while True:
        status, headers, body = api.request("GET", "/invocation/next")
        if status != 200:
            raise RuntimeApiError(f"GET /invocation/next failed: HTTP {status} {body[:200]!r}")
        current_request_id = headers.get("lambda-runtime-aws-request-id", "")
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        invoke(api, handler, headers, body)


if __name__ == "__main__":
    try:
        main()
    except (OSError, RuntimeApiError) as e:  # the platform went away or refused us
        sys.stderr.write(f"laambda runtime: {e}\n")
        sys.exit(1)
