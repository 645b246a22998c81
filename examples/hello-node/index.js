// A plain AWS Lambda handler: nothing laambda-specific.
let invocations = 0;

exports.handler = async (event, context) => {
  invocations += 1;
  console.log('greeting', event.name ?? 'world');
  return {
    message: `Hello, ${event.name ?? 'world'}!`,
    requestId: context.awsRequestId,
    warmInvocations: invocations,
  };
};
