#!/usr/bin/env python3
"""An example AI engine for the Call Control Panel's media fork, runnable
offline on one machine.

It listens for the server's fork (``--media-fork-url ws://HOST:PORT/fork``,
Twilio Media Streams messages), transcribes each direction of the call with
PocketSphinx (its US English model ships inside the PyPI wheel), spots a few
intents by keywords, and answers on the same WebSocket with conversation
events: interim and final utterances, an intent and a suggestion when a
keyword is heard. When the call ends (``stop``) it posts a summary to
``POST /api/calls/{callId}/conversation-events`` on the server.

    python engine.py --listen 127.0.0.1:8765 --server http://127.0.0.1:3000
"""

import argparse
import array
import asyncio
import base64
import json
import logging
import time
import urllib.request

import websockets
from pocketsphinx import Decoder, Endpointer

log = logging.getLogger("engine")

# µ-law (G.711) to 16-bit linear, the standard expansion.
def _ulaw(byte):
    byte = ~byte & 0xFF
    sign, exponent, mantissa = byte & 0x80, (byte >> 4) & 0x07, byte & 0x0F
    sample = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -sample if sign else sample

ULAW = [_ulaw(b) for b in range(256)]

# What a customer may want, by the words that give it away, and the advice
# for the agent.
INTENTS = {
    "refund": (["refund", "money back", "return"], "Refunds",
               "Refunds go back to the original payment within 5 days; orders of the last 30 days qualify.",
               "https://kb.example.com/refunds"),
    "cancel": (["cancel", "subscription"], "Cancellations",
               "Offer the pause option before cancelling; confirm the end date in writing.",
               "https://kb.example.com/cancellations"),
    "billing": (["bill", "invoice", "charge", "price"], "Billing questions",
                "Open the last invoice with the customer and explain each line.",
                "https://kb.example.com/billing"),
    "address": (["address", "moved", "move"], "Change of address",
                "Check the new address against the postcode before saving it.",
                "https://kb.example.com/address"),
}

SPEAKERS = {"inbound": "customer", "outbound": "agent"}


class Track:
    """One direction of one call: 8 kHz µ-law in, utterances out."""

    def __init__(self, speaker):
        self.speaker = speaker
        self.endpointer = Endpointer(window=0.3, ratio=0.9, sample_rate=16000)
        # Interim results come from decoding as the audio arrives; the final
        # one decodes the whole utterance again, which normalises it far
        # better (PocketSphinx's full-utterance mode).
        self.decoder = Decoder(samprate=16000, loglevel="FATAL")
        self.final_decoder = Decoder(samprate=16000, loglevel="FATAL")
        # The final decode starts from the model's own cepstral mean every
        # time: carried over, it would depend on what came before (the
        # prompt's beeps, earlier words), and the same words could come out
        # differently from one call to the next.
        self.initial_cmn = self.final_decoder.get_cmn()
        self.utterance = bytearray()
        self.pending = array.array("h")
        self.last_interim = ""
        self.last_interim_at = 0.0
        self.finals = []

    def feed(self, payload):
        """Takes 20 ms of µ-law; returns the events it gives."""
        samples = [ULAW[b] for b in payload]
        # 8 kHz to the model's 16 kHz: linear interpolation.
        for i, a in enumerate(samples):
            b = samples[i + 1] if i + 1 < len(samples) else a
            self.pending.append(a)
            self.pending.append((a + b) // 2)
        events = []
        frame = self.endpointer.frame_bytes // 2
        while len(self.pending) >= frame:
            chunk = self.pending[:frame].tobytes()
            del self.pending[:frame]
            events += self._step(chunk)
        return events

    def _step(self, chunk):
        was_speaking = self.endpointer.in_speech
        speech = self.endpointer.process(chunk)
        if speech is None:
            return []
        if not was_speaking:
            self.decoder.start_utt()
            self.utterance.clear()
        self.decoder.process_raw(speech)
        self.utterance += speech
        hyp = self.decoder.hyp()
        text = hyp.hypstr if hyp else ""
        if self.endpointer.in_speech:
            now = time.monotonic()
            if text and text != self.last_interim and now - self.last_interim_at > 0.4:
                self.last_interim, self.last_interim_at = text, now
                return [self._utterance(text, False)]
            return []
        # The end of the utterance.
        self.decoder.end_utt()
        self.final_decoder.set_cmn(self.initial_cmn)
        self.final_decoder.start_utt()
        self.final_decoder.process_raw(bytes(self.utterance), full_utt=True)
        self.final_decoder.end_utt()
        hyp = self.final_decoder.hyp()
        text = hyp.hypstr if hyp else ""
        self.last_interim = ""
        if not text:
            return []
        self.finals.append(text)
        return [self._utterance(text, True)] + spot(text)

    def _utterance(self, text, final):
        return {"type": "utterance", "speaker": self.speaker, "text": text, "final": final}


def spot(text):
    """The intents a final utterance shows, each with its suggestion."""
    words = text.lower()
    events = []
    for name, (keys, title, advice, url) in INTENTS.items():
        hits = [k for k in keys if k in words]
        if hits:
            events.append({"type": "intent", "name": name, "confidence": min(1.0, 0.6 + 0.2 * len(hits))})
            events.append({"type": "suggestion", "title": title, "text": advice, "url": url})
    return events


def summary(tracks):
    said = [t for t in tracks.values() if t.finals]
    if not said:
        return None
    parts = []
    for track in said:
        who = "Customer" if track.speaker == "customer" else "Agent"
        parts.append(f"{who}: " + "; ".join(track.finals))
    return " ".join(parts)


def post_summary(server, call_id, text):
    body = json.dumps({"events": [{"type": "summary", "text": text}]}).encode()
    request = urllib.request.Request(
        f"{server}/api/calls/{call_id}/conversation-events", data=body, method="POST",
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        log.info("summary for %s: HTTP %s", call_id, response.status)


async def serve_fork(socket, args):
    call_id, tracks = None, {}
    async for message in socket:
        msg = json.loads(message)
        event = msg.get("event")
        if event == "start":
            call_id = msg["start"]["callSid"]
            wanted = args.tracks.split(",")
            tracks = {t: Track(SPEAKERS[t]) for t in msg["start"]["tracks"] if t in wanted}
            log.info("call %s: transcribing %s", call_id, ", ".join(tracks))
        elif event == "media":
            track = tracks.get(msg["media"]["track"])
            if track is None:
                continue
            events = track.feed(base64.b64decode(msg["media"]["payload"]))
            if events:
                await socket.send(json.dumps({"events": events}))
        elif event == "stop":
            break
    text = summary(tracks)
    if call_id and text:
        await asyncio.to_thread(post_summary, args.server, call_id, text)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:8765")
    parser.add_argument("--server", default="http://127.0.0.1:3000")
    parser.add_argument("--tracks", default="inbound,outbound",
                        help="which directions to transcribe (inbound: customer, outbound: agent)")
    args = parser.parse_args()
    host, port = args.listen.rsplit(":", 1)
    logging.basicConfig(level=logging.INFO, format="engine: %(message)s")
    async with websockets.serve(lambda s: serve_fork(s, args), host, int(port)):
        log.info("listening on ws://%s/fork", args.listen)
        print(f"ready ws://{args.listen}/fork", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
