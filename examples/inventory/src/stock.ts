/** The inventory's in-memory stock: what exists, what is on hand, what is reserved. */
export interface Item {
  readonly sku: string;
  readonly name: string;
  readonly onHand: number;
  readonly reserved: number;
}

export interface Reservation {
  readonly id: string;
  readonly sku: string;
  readonly quantity: number;
  readonly reservedBy: string;
}

export class Stock {
  readonly #items = new Map<string, Item>();
  #nextReservation = 1;

  constructor(items: readonly Omit<Item, "reserved">[]) {
    for (const item of items) this.#items.set(item.sku, { ...item, reserved: 0 });
  }

  get(sku: string): Item | undefined {
    return this.#items.get(sku);
  }

  /** Reserves `quantity` units, or returns why it cannot. */
  reserve(sku: string, quantity: number, reservedBy: string): Reservation | "unknown_sku" | "insufficient_stock" {
    const item = this.#items.get(sku);
    if (item === undefined) return "unknown_sku";
    if (item.onHand - item.reserved < quantity) return "insufficient_stock";
    this.#items.set(sku, { ...item, reserved: item.reserved + quantity });
    return { id: `res-${this.#nextReservation++}`, sku, quantity, reservedBy };
  }
}

export const DEMO_ITEMS = [
  { sku: "widget", name: "Widget", onHand: 100 },
  { sku: "gadget", name: "Gadget", onHand: 5 },
] as const;
