import { z } from "zod";
import { entityIdSchema } from "@loadmgr/shared";

export const forgetAgentInput = z.strictObject({ id: entityIdSchema, agentId: entityIdSchema });
