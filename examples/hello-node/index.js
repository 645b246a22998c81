// A plain AWS Lambda handler: nothing laambda-specific.
let invocations = 0;

// Works with a direct invoke (`{"name": "Ada"}`) and over HTTP (`/hello?name=Ada`).
exports.handler = async (event, context) => {
  invocations += 1;
  const name = event.name ?? event.queryStringParameters?.name ?? 'world';
  console.log('greeting', name);
  return {
    message: `Hello, ${name}!`,
    requestId: context.awsRequestId,
    warmInvocations: invocations,
  };
};
