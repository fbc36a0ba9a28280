export { createOrdersService, type OrdersServiceOptions } from "./server.js";
