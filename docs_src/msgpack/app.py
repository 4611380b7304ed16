from pydantic import BaseModel, Field

from sioapp import Router, SioApp, Socket

# --8<-- [start:app]
app = SioApp(title="Photos", serializer="msgpack")
photos = Router()


class Upload(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    data: bytes = Field(max_length=1_000_000)  # msgpack bin: no base64, no attachment
    width: int
    height: int


class Stored(BaseModel):
    name: str
    size: int


@photos.on("upload")
async def upload(photo: Upload, socket: Socket) -> Stored:
    await socket.broadcast.emit("uploaded", photo.name, photo.data)
    return Stored(name=photo.name, size=len(photo.data))


app.include_router(photos)
# --8<-- [end:app]
