"""The soak: many clients chat through one sioapp server for minutes; every message is
counted, the server's memory is sampled, and once the clients have gone the server must
hold no more tasks, sockets or rooms than before they came. See bench/README.md."""
