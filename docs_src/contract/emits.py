"""Declared server-to-client events are checked when the server emits them."""

from sioapp import Router, SioApp, Socket

app = SioApp(title="Scores")  # SioApp(validate_emits=False) turns the checks off
game = Router()
game.emits("score", player=str, points=int)


@game.on("score")
async def score(player: str, points: int, socket: Socket) -> None:
    """Tell the other players that ``player`` scored."""
    await socket.broadcast.emit("score", player, points)


@game.on("bonus")
async def bonus(player: str, socket: Socket) -> None:
    """A bug: the points go out as text, which the declaration refuses."""
    await socket.broadcast.emit("score", player, "ten")


app.include_router(game)
