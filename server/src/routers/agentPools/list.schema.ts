import { z } from "zod";
import { scopeIdSchema } from "@loadmgr/shared";

export const listInput = z
  .strictObject({
    accountId: scopeIdSchema.optional(),
    orgId: scopeIdSchema.optional(),
    projectId: scopeIdSchema.optional(),
  })
  .optional();
