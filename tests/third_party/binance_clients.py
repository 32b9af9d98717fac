#!/usr/bin/env python3
"""Widely used third-party Binance clients, unchanged, against the speedtrade simulator.

Usage:
    python3 tests/third_party/binance_clients.py COMMAND [ARGS...]

COMMAND starts the simulator and must print its JSON line first, e.g.
    python3 tests/third_party/binance_clients.py target/debug/examples/sim_server
    python3 tests/third_party/binance_clients.py target/debug/speedtrade sim

Libraries (pinned in requirements.txt): python-binance, ccxt (REST and ccxt.pro WebSocket),
binance-connector. Each check prints one line; the last line is "N passed, M failed". The
script exits non-zero if anything failed or the simulator did not stop cleanly on SIGTERM.
"""

import asyncio
import json
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback

SYMBOL = "BTCUSDT"
RESULTS = []


def check(name):
    """Runs the decorated function as a named check and records the outcome."""

    def wrap(fn):
        def run(*args):
            started = time.time()
            try:
                fn(*args)
                RESULTS.append((name, None))
                print(f"ok    {name} ({time.time() - started:.1f}s)", flush=True)
            except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
                RESULTS.append((name, e))
                print(f"FAIL  {name}: {e!r}", flush=True)
                traceback.print_exc()

        return run

    return wrap


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def start_simulator(cmd):
    """Starts the simulator and returns (process, info) once it printed its JSON line."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=60)
    except queue.Empty:
        proc.kill()
        raise SystemExit("the simulator printed no JSON line within 60 s")
    info = json.loads(line)
    for key in ("rest", "ws", "ws_api", "api_key", "api_secret"):
        expect(key in info, f"JSON line has {key}")
    return proc, info


def local_url(url, info):
    """The same path on the simulator: no request may leave this machine."""
    scheme, rest = url.split("://", 1)
    path = "/" + rest.split("/", 1)[1] if "/" in rest else ""
    base = info["ws"] if scheme in ("ws", "wss") else info["rest"]
    return base + path


def redirect_all(node, info):
    """Points every URL in a (nested) dict at the simulator."""
    for key, value in list(node.items()):
        if isinstance(value, dict):
            redirect_all(value, info)
        elif isinstance(value, str) and "://" in value:
            node[key] = local_url(value, info)


def python_binance_client(info, cls):
    """A python-binance client whose every base URL points at the simulator."""
    c = cls(info["api_key"], info["api_secret"], **({"ping": False} if cls.__name__ == "Client" else {}))
    for attr in dir(c):
        value = getattr(c, attr, None)
        if attr.endswith("_URL") and isinstance(value, str) and "://" in value:
            setattr(c, attr, local_url(value.replace("{}", "x"), info))
    c.API_URL = info["rest"] + "/api"
    return c


def resting_buy_price(best_bid):
    """A price 5 % under the best bid, on the 0.01 tick: the order rests."""
    return f"{float(best_bid) * 0.95:.2f}"


# ---------------------------------------------------------------- python-binance


@check("python-binance: public REST")
def python_binance_public(info):
    from binance.client import Client

    c = python_binance_client(info, Client)
    c.ping()
    expect(abs(c.get_server_time()["serverTime"] - time.time() * 1000) < 5000, "server time")
    sym = c.get_symbol_info(SYMBOL)
    expect(sym["baseAsset"] == "BTC", "symbol info")
    book = c.get_order_book(symbol=SYMBOL, limit=10)
    expect(float(book["bids"][0][0]) < float(book["asks"][0][0]), "book not crossed")
    expect(len(c.get_klines(symbol=SYMBOL, interval="1h", limit=50)) == 50, "klines")
    expect(float(c.get_ticker(symbol=SYMBOL)["lastPrice"]) > 0, "ticker")
    expect(isinstance(c.get_recent_trades(symbol=SYMBOL, limit=5), list), "trades")


@check("python-binance: signed orders, cancel, account")
def python_binance_signed(info):
    from binance.client import Client

    c = python_binance_client(info, Client)
    bid = c.get_order_book(symbol=SYMBOL, limit=5)["bids"][0][0]
    o = c.create_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC",
                       quantity="0.001", price=resting_buy_price(bid), newClientOrderId="pyb-1")
    expect(o["status"] == "NEW", f"limit order rests: {o}")
    got = c.get_order(symbol=SYMBOL, origClientOrderId="pyb-1")
    expect(got["orderId"] == o["orderId"], "query by client id")
    expect(any(x["orderId"] == o["orderId"] for x in c.get_open_orders(symbol=SYMBOL)), "open")
    canceled = c.cancel_order(symbol=SYMBOL, orderId=o["orderId"])
    expect(canceled["status"] == "CANCELED", "cancel")
    m = c.order_market_buy(symbol=SYMBOL, quantity="0.001")
    expect(m["status"] == "FILLED" and m["fills"], f"market order fills: {m}")
    expect(float(c.get_asset_balance(asset="BTC")["free"]) > 0, "balance")
    expect(c.get_account()["canTrade"], "account")
    expect(len(c.get_my_trades(symbol=SYMBOL)) >= 1, "my trades")
    try:
        c.get_order(symbol=SYMBOL, orderId=99999999)
        raise AssertionError("unknown order must fail")
    except Exception as e:  # binance.exceptions.BinanceAPIException
        expect(getattr(e, "code", None) == -2013, f"-2013, got {e!r}")


@check("python-binance: WebSocket trade stream")
def python_binance_ws(info):
    from binance import AsyncClient, BinanceSocketManager

    async def run():
        client = python_binance_client(info, AsyncClient)
        bsm = BinanceSocketManager(client)
        bsm.STREAM_URL = info["ws"] + "/"
        async with bsm.trade_socket(SYMBOL) as stream:
            msg = await asyncio.wait_for(stream.recv(), 30)
        await client.close_connection()
        return msg

    msg = asyncio.run(run())
    expect(msg.get("e") == "trade" and msg.get("s") == SYMBOL, f"trade event: {msg}")


# ---------------------------------------------------------------- ccxt


def ccxt_exchange(info, pro=False):
    import ccxt
    import ccxt.pro

    cls = ccxt.pro.binance if pro else ccxt.binance
    ex = cls({
        "apiKey": info["api_key"],
        "secret": info["api_secret"],
        "enableRateLimit": False,
        "options": {
            "defaultType": "spot",
            "fetchMarkets": {"types": ["spot"]},
            "fetchCurrencies": False,
            "adjustForTimeDifference": False,
            "fetchMargins": False,
        },
    })
    redirect_all(ex.urls, info)
    return ex


@check("ccxt: public REST")
def ccxt_public(info):
    ex = ccxt_exchange(info)
    markets = ex.load_markets()
    expect("BTC/USDT" in markets, "markets")
    expect(markets["BTC/USDT"]["precision"]["price"] == 0.01, "tick size")
    ob = ex.fetch_order_book("BTC/USDT", 10)
    expect(ob["bids"][0][0] < ob["asks"][0][0], "book")
    expect(ex.fetch_ticker("BTC/USDT")["last"] > 0, "ticker")
    expect(len(ex.fetch_ohlcv("BTC/USDT", "1m", limit=20)) == 20, "ohlcv")
    expect(isinstance(ex.fetch_trades("BTC/USDT", limit=5), list), "trades")


@check("ccxt: signed orders, cancel, balance")
def ccxt_signed(info):
    ex = ccxt_exchange(info)
    ex.load_markets()
    bid = ex.fetch_order_book("BTC/USDT", 5)["bids"][0][0]
    o = ex.create_order("BTC/USDT", "limit", "buy", 0.001, float(resting_buy_price(bid)),
                        {"newClientOrderId": "ccxt-1"})
    expect(o["status"] == "open", f"open order: {o['status']}")
    expect(ex.fetch_order(o["id"], "BTC/USDT")["clientOrderId"] == "ccxt-1", "fetch order")
    expect(any(x["id"] == o["id"] for x in ex.fetch_open_orders("BTC/USDT")), "open orders")
    ex.cancel_order(o["id"], "BTC/USDT")
    expect(ex.fetch_order(o["id"], "BTC/USDT")["status"] == "canceled", "canceled")
    m = ex.create_order("BTC/USDT", "market", "buy", 0.001)
    expect(m["status"] == "closed" and m["filled"] == 0.001, f"market filled: {m['status']}")
    bal = ex.fetch_balance()
    expect(bal["USDT"]["free"] > 0 and bal["BTC"]["total"] > 0, "balance")
    expect(len(ex.fetch_my_trades("BTC/USDT")) >= 1, "my trades")


@check("ccxt.pro: WebSocket order book (diffs + snapshot) and trades")
def ccxt_pro_ws(info):
    async def run():
        ex = ccxt_exchange(info, pro=True)
        try:
            await ex.load_markets()
            book = None
            for _ in range(5):
                book = await asyncio.wait_for(ex.watch_order_book("BTC/USDT"), 30)
            expect(book["bids"][0][0] < book["asks"][0][0], "ws book not crossed")
            trades = await asyncio.wait_for(ex.watch_trades("BTC/USDT"), 30)
            expect(len(trades) >= 1, "ws trades")
        finally:
            await ex.close()

    asyncio.run(run())


@check("ccxt.pro: user data stream over the WebSocket API (watch_orders)")
def ccxt_pro_user_data(info):
    async def run():
        ex = ccxt_exchange(info, pro=True)
        try:
            await ex.load_markets()
            watching = asyncio.ensure_future(ex.watch_orders("BTC/USDT"))
            await asyncio.sleep(1.0)  # let the userDataStream.subscribe.signature reply arrive
            book = await ex.fetch_order_book("BTC/USDT", 5)
            placed = await ex.create_order("BTC/USDT", "limit", "buy", 0.001,
                                           float(resting_buy_price(book["bids"][0][0])))
            orders = await asyncio.wait_for(watching, 15)
            expect(any(o["id"] == placed["id"] for o in orders), "the order arrives on the stream")
            await ex.cancel_order(placed["id"], "BTC/USDT")
        finally:
            await ex.close()

    asyncio.run(run())


# ---------------------------------------------------------------- binance-connector


@check("binance-connector: REST and WebSocket stream")
def connector(info):
    from binance.spot import Spot
    from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient

    c = Spot(api_key=info["api_key"], api_secret=info["api_secret"], base_url=info["rest"])
    c.ping()
    expect(c.exchange_info(symbol=SYMBOL)["symbols"][0]["symbol"] == SYMBOL, "exchange info")
    bid = c.depth(SYMBOL, limit=5)["bids"][0][0]
    o = c.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC",
                    quantity="0.001", price=resting_buy_price(bid))
    expect(c.get_order(SYMBOL, orderId=o["orderId"])["status"] == "NEW", "query")
    expect(c.cancel_order(SYMBOL, orderId=o["orderId"])["status"] == "CANCELED", "cancel")
    expect(len(c.account()["balances"]) > 0, "account")
    got = queue.Queue()
    ws = SpotWebsocketStreamClient(stream_url=info["ws"], on_message=lambda _, m: got.put(m))
    try:
        ws.trade(symbol="btcusdt")
        deadline = time.time() + 30
        while True:
            msg = json.loads(got.get(timeout=max(0.1, deadline - time.time())))
            if msg.get("e") == "trade":
                break
    finally:
        ws.stop()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    proc, info = start_simulator(sys.argv[1:])
    try:
        for fn in (python_binance_public, python_binance_signed, python_binance_ws, ccxt_public,
                   ccxt_signed, ccxt_pro_ws, ccxt_pro_user_data, connector):
            fn(info)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "killed"
    RESULTS.append(("simulator exits cleanly on SIGTERM",
                    None if code == 0 else AssertionError(f"exit {code}")))
    print(("ok    " if code == 0 else "FAIL  ") + f"simulator exit on SIGTERM: {code}")
    failed = sum(1 for _, e in RESULTS if e is not None)
    print(f"{len(RESULTS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
