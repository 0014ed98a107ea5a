/** Locustfiles travel as base64 of UTF-8 text; the browser has no Buffer. */
export function toBase64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function fromBase64(base64: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
}

export const STARTER_SCRIPT = `from locust import HttpUser, between, task


class Visitor(HttpUser):
    wait_time = between(0.5, 1.5)

    @task
    def home(self):
        self.client.get("/")
`;
