import { z } from "zod";
import { entityIdSchema } from "@loadmgr/shared";

export const listInput = z.strictObject({ id: entityIdSchema.describe("load test id") });
