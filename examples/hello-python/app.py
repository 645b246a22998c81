"""A plain AWS Lambda handler: nothing laambda-specific."""
import platform

invocations = 0


def handler(event, context):
    global invocations
    invocations += 1
    # Works with a direct invoke ({"name": "Ada"}) and over HTTP (/hello?name=Ada).
    name = event.get("name") or (event.get("queryStringParameters") or {}).get("name", "world")
    print(f"greeting {name}")
    return {
        "message": f"Hello, {name}!",
        "requestId": context.aws_request_id,
        "python": platform.python_version(),
        "warmInvocations": invocations,
    }
