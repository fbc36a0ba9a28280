export { PrivateRedis, REDIS_URL, uniquePrefix } from "../../src/testing/private-redis.js";
