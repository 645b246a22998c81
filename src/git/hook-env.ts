// The variables the git endpoint puts into http-backend's environment for receive-pack, which
// passes them on to the pre-receive hook. Shared by both sides; imports nothing.
export const DEPLOY_URL_ENV = 'LAAMBDA_DEPLOY_URL';
export const DEPLOY_TOKEN_ENV = 'LAAMBDA_DEPLOY_TOKEN';
