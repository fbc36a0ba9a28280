export { createInventoryService, type InventoryServiceOptions } from "./server.js";
export { DEMO_ITEMS, Stock, type Item, type Reservation } from "./stock.js";
