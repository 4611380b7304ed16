"""A chat traced with OpenTelemetry: each connection, event and emit is a span."""

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from sioapp import Router, SioApp, Socket
from sioapp.telemetry import SioAppInstrumentor

# --8<-- [start:setup]
provider = TracerProvider(resource=Resource.create({"service.name": "chat"}))
# in production: OTLPSpanExporter() of opentelemetry-exporter-otlp, to a collector
provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
tracer = provider.get_tracer("chat")

app = SioApp()
SioAppInstrumentor().instrument_app(app, tracer_provider=provider)
# --8<-- [end:setup]
chat = Router()


# --8<-- [start:handler]
@chat.on("say")
async def say(room: str, text: str, socket: Socket) -> bool:
    with tracer.start_as_current_span("moderate"):  # a child of "socket.io receive say"
        text = text.replace("darn", "d**n")
    await socket.to(room).emit("said", socket.id, text)  # "socket.io emit said", a child too
    return True


# --8<-- [end:handler]


@chat.on("join")
async def join(room: str, socket: Socket) -> bool:
    await socket.join(room)
    return True


app.include_router(chat)
