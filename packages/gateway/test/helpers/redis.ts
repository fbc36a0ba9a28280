export { freePort, PrivateRedis, REDIS_URL, uniquePrefix } from "@gatehouse/service-kit/testing";
