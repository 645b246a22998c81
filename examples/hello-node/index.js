// A plain AWS Lambda handler: nothing laambda-specific.
let invocations = 0;

// Works with a direct invoke (`{"name": "Ada"}`) and over HTTP (`/hello?name=Ada`).
// GREETING comes from the app's config on `laambda server` (`laambda config:set GREETING=Howdy`).
exports.handler = async (event, context) => {
  invocations += 1;
  const name = event.name ?? event.queryStringParameters?.name ?? 'world';
  const greeting = process.env.GREETING ?? 'Hello';
  console.log('greeting', name);
  return {
    message: `${greeting}, ${name}!`,
    requestId: context.awsRequestId,
    warmInvocations: invocations,
  };
};
