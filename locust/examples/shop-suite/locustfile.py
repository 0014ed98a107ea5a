"""A small shop suite: helpers in lib/, accounts in a CSV split among workers, an API key from a secret."""

import os

from locust import HttpUser, between, task

from lib.shop import Accounts, browse_path

# Each Locust worker reads only its own share of the rows (the test marks the file split).
ACCOUNTS = Accounts("data/users.csv")
# A secret of the project, given to the run as an environment variable; never shown in its results.
API_KEY = os.environ.get("SHOP_API_KEY", "")
# A plain parameter: the test's default, a run may override it.
CART_SIZE = int(os.environ.get("CART_SIZE", "1"))


class Shopper(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.account = ACCOUNTS.next()
        self.client.headers["x-api-key"] = API_KEY
        # Every session opens on the shop and its cart, then shops at random.
        self.browse()
        self.cart()

    @task(3)
    def browse(self):
        self.client.get(browse_path(self.account), name="/products")

    @task(1)
    def cart(self):
        for _ in range(CART_SIZE):
            self.client.get("/", name="/cart")
