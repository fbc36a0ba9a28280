// The private `redis-server` of the packages' tests, for the browser test that stops and restarts Redis.
export { PrivateRedis } from "@gatehouse/service-kit/testing";
