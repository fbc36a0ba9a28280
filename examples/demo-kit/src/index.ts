export { readCredentials, type ServiceCredentials } from "./credentials.js";
export { readJsonBody } from "./read-json-body.js";
export { httpService, runUntilSignal, type HttpService } from "./http-service.js";
