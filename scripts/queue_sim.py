#!/usr/bin/env python3
"""Simulate serve's search queue under a closed loop of clients.

Service times are lognormal with the median and p99 of the 1-client bench
mix at 74,728 papers (1.88 ms and 7.7 ms). Each policy serves the waiting
searches of N clients on S cores: first in, first out (serve's order), or
the cheapest predicted first with ageing (priority = arrival + AGING x
predicted cost; the prediction is off by a lognormal factor of sigma
NOISE). It prints q/s, p50, p95, p99 and the mean latency in ms.

    python3 scripts/queue_sim.py
"""
import heapq
import math
import random
import statistics


def run(policy, noise=0.0, aging=None, clients=8, cores=2, n=200000, seed=1):
    rnd = random.Random(seed)
    sigma = math.log(7.7 / 1.88) / 2.326

    def job():
        s = 1.88 * math.exp(sigma * rnd.gauss(0, 1))
        return s, s * math.exp(noise * rnd.gauss(0, 1))

    queue = [(0.0,) + job() for _ in range(clients)]  # (arrival, service, predicted)
    running, free, t, lat = [], cores, 0.0, []
    while len(lat) < n:
        while free and queue:
            if policy == "fifo":
                i = min(range(len(queue)), key=lambda i: queue[i][0])
            else:
                i = min(range(len(queue)), key=lambda i: queue[i][0] + aging * queue[i][2])
            arrival, service, _ = queue.pop(i)
            free -= 1
            heapq.heappush(running, (t + service, arrival))
        t, arrival = heapq.heappop(running)
        free += 1
        lat.append(t - arrival)
        queue.append((t,) + job())
    lat.sort()
    q = lambda f: round(lat[int(f * len(lat))], 2)
    return round(len(lat) / t * 1000), q(0.5), q(0.95), q(0.99), round(statistics.mean(lat), 2)


if __name__ == "__main__":
    print("policy            q/s, p50, p95, p99, mean (ms)")
    print("fifo             ", run("fifo"))
    for noise, aging in [(0.6, 3), (0.6, 5), (0.6, 10), (0.3, 5)]:
        print(f"cheapest, noise {noise}, ageing {aging}:", run("cost", noise, aging))
