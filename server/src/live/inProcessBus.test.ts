import { liveBusContract } from "./liveBus.contract.js";
import { InProcessBus } from "./inProcessBus.js";

liveBusContract("in-process", () => {
  const bus = new InProcessBus();
  return Promise.resolve({ a: bus, b: bus, close: () => bus.close() });
});
