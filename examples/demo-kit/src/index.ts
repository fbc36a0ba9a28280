export { readCredentials, type ServiceCredentials } from "./credentials.js";
export { readJsonBody } from "./read-json-body.js";
export { httpService, runUntilSignal, type HttpService, type ServiceTransport } from "./http-service.js";
export { serviceIdentity } from "./service-identity.js";
