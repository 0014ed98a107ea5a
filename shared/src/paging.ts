import { z } from "zod";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export const pageInputShape = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).max(512).optional().describe("nextCursor of the previous page"),
  offset: z.coerce.number().int().min(0).optional().describe("items to skip; an alternative to cursor"),
};

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().optional().describe("pass as cursor to get the next page; absent on the last page"),
  });
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}
