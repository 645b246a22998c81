"""A plain AWS Lambda handler: nothing laambda-specific."""
import platform

invocations = 0


def handler(event, context):
    global invocations
    invocations += 1
    name = event.get("name", "world")
    print(f"greeting {name}")
    return {
        "message": f"Hello, {name}!",
        "requestId": context.aws_request_id,
        "python": platform.python_version(),
        "warmInvocations": invocations,
    }
