from locust import HttpUser, between, task


class ShopUser(HttpUser):
    wait_time = between(0.5, 1.5)

    @task(3)
    def browse(self):
        self.client.get("/")

    @task
    def product(self):
        self.client.get("/api/products/1", name="/api/products/[id]")
