// The video room: a WebRTC mesh (each participant connects to each other one), signalled over
// /ws/video/<id>/. Newcomers send the offers, so two peers never offer to each other at once.
// A larger session (data-mode="sfu") goes through Janus instead (janus.js, loaded before this):
// one upstream to the SFU, with simulcast, and one downstream per other participant; the
// websocket then carries only the chat, the removal and the end.
// A teaching session (data-teaching): only speakers (data-role="speaker") publish; viewers only
// watch — no camera is even opened — raise a hand and ask questions; the host gives the floor.
// Weak links: a light mode (audio + 320x240 video at <= 250 kbit/s) and audio only (<= 40
// kbit/s), chosen by hand or suggested from getStats() (loss, round-trip time).
(function () {
  "use strict";
  var root = document.getElementById("room");
  if (!root || !window.RTCPeerConnection || root.getAttribute("data-mode") === "unavailable") { return; }
  var T = JSON.parse(document.getElementById("room-text").textContent);
  var statusEl = document.getElementById("room-status");
  var videos = document.getElementById("videos");
  var localVideo = document.getElementById("local-video");
  var sfuMode = root.getAttribute("data-mode") === "sfu" && !!window.Janus;
  var teaching = root.getAttribute("data-teaching") === "true";
  var isHost = root.getAttribute("data-host") === "true";
  var myUser = root.getAttribute("data-user");
  var state = {
    role: root.getAttribute("data-role") || "speaker", handUp: false,
    ws: null, me: null, ice: [], local: new MediaStream(), camera: null, screen: null,
    janus: null, publisher: null,
    peers: new Map(), mode: "normal", muted: false, cameraOff: false,
    joinedAt: 0, firstConnectedMs: null, weakSamples: 0, closed: false, retry: 1000
  };

  function say(text) { statusEl.textContent = text; }
  function send(message) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) { state.ws.send(JSON.stringify(message)); }
  }

  // --- local media -----------------------------------------------------------------------
  async function openMedia(constraints) {
    try {
      var stream = await navigator.mediaDevices.getUserMedia(constraints || {
        audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24 } }
      });
      state.local = stream;
      state.camera = stream.getVideoTracks()[0] || null;
    } catch (error) {
      say(T.nomedia);
      state.local = new MediaStream();
    }
    localVideo.srcObject = state.local;
    await listDevices();
  }

  async function listDevices() {
    if (!navigator.mediaDevices.enumerateDevices) { return; }
    var devices = await navigator.mediaDevices.enumerateDevices();
    fill(document.getElementById("camera-select"), devices, "videoinput", state.local.getVideoTracks()[0]);
    fill(document.getElementById("mic-select"), devices, "audioinput", state.local.getAudioTracks()[0]);
  }

  function fill(select, devices, kind, track) {
    var current = track && track.getSettings ? track.getSettings().deviceId : "";
    select.textContent = "";
    devices.filter(function (d) { return d.kind === kind; }).forEach(function (d, i) {
      var option = document.createElement("option");
      option.value = d.deviceId;
      option.textContent = d.label || (kind + " " + (i + 1));
      option.selected = d.deviceId === current;
      select.appendChild(option);
    });
  }

  function senders(kind) {
    var out = [];
    state.peers.forEach(function (peer) {
      peer.pc.getSenders().forEach(function (s) {
        if (s.track ? s.track.kind === kind : peer.kinds.get(s) === kind) { out.push(s); }
      });
    });
    return out;
  }

  async function replaceTrack(kind, track) {
    await Promise.all(senders(kind).map(function (s) { return s.replaceTrack(track); }));
  }

  // --- peers -------------------------------------------------------------------------------
  function tileFor(id, name) {
    var figure = document.createElement("figure");
    figure.className = "tile";
    figure.id = "tile-" + id;
    // The picture plays muted (browsers let muted media start by itself); the sound goes through
    // an audio element, which may need one click when the browser blocks sound that starts alone.
    var video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;
    var audio = document.createElement("audio");
    audio.autoplay = true;
    var caption = document.createElement("figcaption");
    caption.textContent = name + " ";
    var quality = document.createElement("span");
    quality.className = "quality";
    caption.appendChild(quality);
    figure.appendChild(video);
    figure.appendChild(audio);
    figure.appendChild(caption);
    videos.appendChild(figure);
    return { figure: figure, video: video, audio: audio, quality: quality };
  }

  function createPeer(id, name, initiator) {
    if (state.peers.has(id)) { return state.peers.get(id); }
    var pc = new RTCPeerConnection({ iceServers: state.ice });
    var peer = { id: id, name: name, pc: pc, tile: tileFor(id, name), pending: [], kinds: new Map(), last: null };
    state.peers.set(id, peer);
    if (initiator) {
      // The offerer makes one audio and one video line; the answerer takes them up when the
      // offer arrives (adoptTransceivers), so both directions share the same lines.
      ["audio", "video"].forEach(function (kind) {
        var track = localTrack(kind);
        var transceiver = pc.addTransceiver(track || kind, {
          direction: track ? "sendrecv" : "recvonly", streams: track ? [state.local] : []
        });
        peer.kinds.set(transceiver.sender, kind);
      });
    }
    pc.onicecandidate = function (event) {
      if (event.candidate) { send({ type: "signal", to: id, data: { candidate: event.candidate.toJSON() } }); }
    };
    pc.ontrack = function (event) {
      var stream = event.streams[0] || new MediaStream([event.track]);
      if (peer.tile.video.srcObject !== stream) {
        peer.tile.video.srcObject = stream;
        peer.tile.audio.srcObject = stream;
        peer.tile.audio.play().catch(function () { document.getElementById("enable-sound").hidden = false; });
      }
    };
    pc.onconnectionstatechange = function () {
      peer.tile.figure.setAttribute("data-state", pc.connectionState);
      if (pc.connectionState === "connected") {
        if (state.firstConnectedMs === null) {
          state.firstConnectedMs = performance.now() - state.joinedAt;
          state.connectedSincePageStart = performance.now();
        }
        say(T.connected);
        applyMode(state.mode);
      }
    };
    if (initiator) {
      pc.createOffer().then(function (offer) {
        return pc.setLocalDescription(offer);
      }).then(function () {
        send({ type: "signal", to: id, data: { sdp: pc.localDescription.toJSON() } });
      });
    }
    return peer;
  }

  function localTrack(kind) {
    return kind === "audio" ? state.local.getAudioTracks()[0] : state.local.getVideoTracks()[0];
  }

  async function adoptTransceivers(peer) {
    var work = [];
    peer.pc.getTransceivers().forEach(function (t) {
      var kind = t.receiver.track.kind;
      if (peer.kinds.has(t.sender)) { return; }
      peer.kinds.set(t.sender, kind);
      var track = localTrack(kind);
      if (track) {
        t.direction = "sendrecv";
        if (t.sender.setStreams) { t.sender.setStreams(state.local); }
        work.push(t.sender.replaceTrack(track));
      }
    });
    await Promise.all(work);
  }

  function closePeer(id) {
    var peer = state.peers.get(id);
    if (!peer) { return; }
    if (peer.handle) { peer.handle.detach(); } else { peer.pc.close(); }
    peer.tile.figure.remove();
    state.peers.delete(id);
    if (!state.peers.size) { say(T.waiting); }
  }

  async function onSignal(from, data) {
    var peer = state.peers.get(from) || createPeer(from, "", false);
    var pc = peer.pc;
    if (data.sdp) {
      await pc.setRemoteDescription(data.sdp);
      if (data.sdp.type === "offer") {
        await adoptTransceivers(peer);
        await pc.setLocalDescription(await pc.createAnswer());
        send({ type: "signal", to: from, data: { sdp: pc.localDescription.toJSON() } });
      }
      // Candidates that arrived before the description can be applied now.
      while (peer.pending.length) { await pc.addIceCandidate(peer.pending.shift()); }
    } else if (data.candidate) {
      if (pc.remoteDescription) { await pc.addIceCandidate(data.candidate); } else { peer.pending.push(data.candidate); }
    }
  }

  // --- weak links ------------------------------------------------------------------------------
  // Through the SFU: what each other participant's video arrives as — the simulcast layer (2
  // full size; 1 half, ≤ 150 kbit/s, in light mode or on a weak downlink; 0 a quarter, on a
  // very weak one, when the presenter's camera is large enough for Chrome to send it), or none
  // in audio only — and what this browser sends (capped in light mode, no video in audio only).
  function sfuLayer(peer, layer) {
    if (!peer.handle || !peer.mids) { return; }
    var target = Math.max(state.mode === "weak" ? Math.min(layer, 1) : layer, peer.floor || 0);
    var wanted = state.mode === "audio" ? "off" : String(target);
    if (peer.layer === wanted) {
      // Janus switches on a keyframe of the layer asked, and says so (its "substream" event);
      // should it not have switched a few seconds later, ask again (a few times). The quarter
      // layer still not reached after two asks is one the presenter does not send (Chrome
      // sends two layers of a 640×480 camera): the half layer becomes this peer's lowest. (Only
      // the quarter: a half layer slow to come on a lossy line must not pin the full one.)
      var reached = peer.substream !== undefined ? String(peer.substream) === wanted : peer.frameWidth !== peer.widthAsked;
      var stale = wanted !== "off" && !reached && performance.now() - peer.askedAt > 3000;
      if (!stale || peer.asks >= 4) { return; }
      if (peer.asks >= 2 && target === 0 && peer.substream !== undefined && peer.substream > 0) {
        peer.floor = target + 1;
        sfuLayer(peer, layer);
        return;
      }
    } else {
      peer.asks = 0;
    }
    peer.layer = wanted;
    peer.asks = (peer.asks || 0) + 1;
    peer.askedAt = performance.now();
    peer.widthAsked = peer.frameWidth;
    var streams = Object.keys(peer.mids).map(function (mid) {
      return peer.mids[mid] === "video"
        ? { mid: mid, send: wanted !== "off", substream: wanted === "off" ? 0 : +wanted }
        : { mid: mid, send: true };
    });
    // A keyframe asked of the presenter: Janus switches layers on one.
    peer.handle.send({ message: { request: "configure", streams: streams, keyframe: true } });
  }

  // From the layer the last sample says the downlink carries, the layer to ask for: lower at
  // once; higher one layer at a time, and only after a quiet spell, which doubles (20 s, 40 s,
  // … 2 min) each time the layer above was tried and lost packets again, and is reset once a
  // tried layer has held for 30 s. A line that carries the half-size layer but not the full one
  // is so sent the full one for a few seconds every two minutes, not every other sample.
  function linkStep(peer, fits, now) {
    var current = peer.linkLayer === undefined ? 2 : peer.linkLayer;
    var wait = peer.backoff || 20000;
    if (fits < current) {
      if (peer.trying) { peer.backoff = Math.min(wait * 2, 120000); }
      peer.trying = false;
      peer.upAfter = now + (peer.backoff || 20000);
      return fits;
    }
    if (peer.trying && now - peer.triedAt > 30000) { peer.trying = false; peer.backoff = 20000; }
    if (fits > current && now >= (peer.upAfter || 0)) {
      peer.trying = true;
      peer.triedAt = now;
      peer.upAfter = now + wait;
      return current + 1;
    }
    return current;
  }

  function sfuApply(mode) {
    state.peers.forEach(function (peer) { sfuLayer(peer, peer.linkLayer === undefined ? 2 : peer.linkLayer); });
    if (state.publisher) {
      state.publisher.send({ message: {
        request: "configure", video: mode !== "audio" && !state.cameraOff,
        bitrate: mode === "weak" ? 200000 : 0
      } });
    }
  }

  async function applyMode(mode) {
    state.mode = mode;
    document.getElementById("mode-select").value = mode;
    if (sfuMode) { sfuApply(mode); return; }
    var video = state.screen || state.camera;
    if (mode === "audio") {
      await replaceTrack("video", null);
    } else if (video && !state.cameraOff) {
      await replaceTrack("video", video);
      if (!state.screen && video.applyConstraints) {
        await video.applyConstraints(mode === "weak"
          ? { width: 320, height: 240, frameRate: 15 }
          : { width: 640, height: 480, frameRate: 24 }).catch(function () {});
      }
    }
    var limits = { audio: mode === "normal" ? null : 32000, video: mode === "weak" ? 200000 : null };
    await Promise.all(["audio", "video"].map(function (kind) {
      return Promise.all(senders(kind).map(function (sender) {
        var params = sender.getParameters();
        if (!params.encodings || !params.encodings.length) { params.encodings = [{}]; }
        params.encodings.forEach(function (e) {
          if (limits[kind]) { e.maxBitrate = limits[kind]; } else { delete e.maxBitrate; }
        });
        return sender.setParameters(params).catch(function () {});
      }));
    }));
  }

  function suggest(text, mode) {
    var box = document.getElementById("suggestion");
    box.querySelector("span").textContent = text;
    box.hidden = false;
    document.getElementById("accept-suggestion").onclick = function () { box.hidden = true; applyMode(mode); };
  }

  async function sample() {
    var worstRtt = 0, worstLoss = 0, kbps = 0;
    for (var peer of state.peers.values()) {
      if (!peer.pc) { continue; }
      var report = await peer.pc.getStats();
      var now = { received: 0, lost: 0, sent: 0, at: performance.now(), rtt: 0, frames: 0 };
      report.forEach(function (s) {
        if (s.type === "inbound-rtp") {
          now.received += s.packetsReceived || 0;
          now.lost += s.packetsLost || 0;
          if (s.kind === "video") { now.frames += s.framesDecoded || 0; now.width = s.frameWidth || 0; }
        } else if (s.type === "outbound-rtp") {
          now.sent += s.bytesSent || 0;
        } else if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) {
          now.rtt = s.currentRoundTripTime * 1000;
        }
      });
      var last = peer.last || { received: 0, lost: 0, sent: 0, at: now.at - 2000 };
      var packets = (now.received - last.received) + (now.lost - last.lost);
      var loss = packets > 0 ? 100 * (now.lost - last.lost) / packets : 0;
      kbps += 8 * (now.sent - last.sent) / Math.max(now.at - last.at, 1);
      worstRtt = Math.max(worstRtt, now.rtt);
      worstLoss = Math.max(worstLoss, Math.max(loss, 0));
      peer.last = now;
      peer.framesDecoded = now.frames;
      peer.frameWidth = now.width || 0;
      peer.loss = Math.max(loss, 0);
      peer.rtt = now.rtt;
      if (sfuMode && peer.handle) {
        // The layer this participant's downlink carries, from what it lost and how long it
        // took (Janus then forwards that layer only).
        peer.linkLayer = linkStep(peer, loss > 12 || now.rtt > 800 ? 0 : loss > 5 || now.rtt > 400 ? 1 : 2, now.at);
        sfuLayer(peer, peer.linkLayer);
      }
    }
    if (!state.peers.size) { return; }
    state.sentKbps = Math.round(kbps);
    send({ type: "quality", rtt: Math.round(worstRtt), loss: Math.round(worstLoss * 10) / 10, kbps: Math.round(kbps), mode: state.mode });
    var level = worstLoss < 2 && worstRtt < 250 ? "good" : worstLoss < 8 && worstRtt < 600 ? "fair" : "poor";
    document.getElementById("quality-me").textContent = "● " + T[level];
    document.getElementById("quality-me").setAttribute("data-level", level);
    var weak = worstLoss > 5 || worstRtt > 400;
    state.weakSamples = weak ? state.weakSamples + 1 : 0;
    if (state.weakSamples >= 2) {
      if (state.mode === "normal") { suggest(T.suggest_weak, "weak"); }
      else if (state.mode === "weak" && (worstLoss > 12 || worstRtt > 800)) { suggest(T.suggest_audio, "audio"); }
    }
  }


  // --- the SFU (Janus VideoRoom) ----------------------------------------------------------------
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // janus.js asks which browser it runs in (webrtc-adapter's answer); the few it tells apart.
  function browserDetails() {
    var ua = navigator.userAgent;
    var firefox = ua.match(/Firefox\/(\d+)/), chrome = ua.match(/Chrom(?:e|ium)\/(\d+)/);
    var safari = ua.match(/Version\/(\d+).*Safari/);
    if (firefox) { return { browser: "firefox", version: +firefox[1] }; }
    if (chrome) { return { browser: "chrome", version: +chrome[1] }; }
    if (safari) { return { browser: "safari", version: +safari[1] }; }
    return { browser: "chrome", version: 0 };
  }

  async function sfuTokens() {
    var response = await fetch(root.getAttribute("data-sfu"), {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }
    });
    if (!response.ok) { throw new Error("sfu " + response.status); }
    return response.json();
  }

  function subscribe(tokens, feed) {
    var id = "sfu-" + feed.id;
    if (state.peers.has(id) || feed.id === tokens.peer_id) { return; }
    var peer = { id: id, name: feed.display || "", pc: null, tile: tileFor(id, feed.display || ""), last: null };
    state.peers.set(id, peer);
    state.janus.attach({
      plugin: "janus.plugin.videoroom",
      success: function (handle) {
        peer.handle = handle;
        handle.send({ message: {
          request: "join", ptype: "subscriber", room: tokens.room, token: tokens.room_token,
          streams: [{ feed: feed.id }]
        } });
      },
      onmessage: function (msg, jsep) {
        if (msg.substream !== undefined) { peer.substream = msg.substream; }
        if (!jsep) { return; }
        peer.handle.createAnswer({
          jsep: jsep, tracks: [{ type: "data" }],
          success: function (answer) {
            peer.handle.send({ message: { request: "start", room: tokens.room }, jsep: answer });
          }
        });
      },
      webrtcState: function (on) {
        peer.pc = peer.handle.webrtcStuff.pc;
        peer.tile.figure.setAttribute("data-state", on ? "connected" : "closed");
        if (on && state.firstConnectedMs === null) {
          state.firstConnectedMs = performance.now() - state.joinedAt;
          state.connectedSincePageStart = performance.now();
        }
        if (on) { say(T.connected); }
      },
      onremotetrack: function (track, mid, on) {
        peer.pc = peer.handle.webrtcStuff.pc;
        if (!on) { return; }
        peer.mids = peer.mids || {};
        peer.mids[mid] = track.kind;
        var stream = peer.tile.video.srcObject || new MediaStream();
        stream.addTrack(track);
        peer.tile.video.srcObject = stream;
        peer.tile.audio.srcObject = stream;
        peer.tile.audio.play().catch(function () { document.getElementById("enable-sound").hidden = false; });
      }
    });
  }

  function publish() {
    var tracks = [];
    var audio = state.local.getAudioTracks()[0], video = state.local.getVideoTracks()[0];
    if (audio) { tracks.push({ type: "audio", capture: audio, recv: false }); }
    // Three layers, each with its scale given (Chrome otherwise sends fewer layers for a
    // small picture), together within the room's cap (512 kbit/s) so that none is dropped
    // for want of bandwidth, the half-size one within what a commune link carries. Highest
    // first, as Janus reads them (its substream 0 is the last listed, the lowest).
    if (video) {
      tracks.push({ type: "video", capture: video, recv: false, simulcast: true, sendEncodings: [
        { rid: "h", active: true, maxBitrate: 300000, scaleResolutionDownBy: 1 },
        { rid: "m", active: true, maxBitrate: 120000, scaleResolutionDownBy: 2 },
        { rid: "l", active: true, maxBitrate: 50000, scaleResolutionDownBy: 4 }
      ] });
    }
    if (!tracks.length) { return; }
    state.publisher.createOffer({
      tracks: tracks,
      success: function (offer) {
        state.publisher.send({ message: { request: "configure", audio: !!audio, video: !!video }, jsep: offer });
      }
    });
  }

  // --- a teaching session: the floor, hands and questions ------------------------------------------
  function showRole() {
    root.setAttribute("data-role", state.role);
    var note = document.getElementById("role-note");
    if (note) { note.textContent = state.role === "speaker" ? T.you_speak : T.you_watch; }
  }

  async function takeRole(role) {
    if (role === state.role) { return; }
    state.role = role;
    showRole();
    if (role === "speaker") {
      await openMedia();
      if (sfuMode && state.publisher) { publish(); }
    } else {
      if (sfuMode && state.publisher) { state.publisher.send({ message: { request: "unpublish" } }); }
      state.local.getTracks().forEach(function (t) { t.stop(); });
      state.local = new MediaStream();
      localVideo.srcObject = null;
    }
  }

  function button(text, onclick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.onclick = onclick;
    return b;
  }

  function showHands(m) {
    var hands = document.getElementById("hands"), speakers = document.getElementById("speakers");
    if (!hands) { return; }
    hands.textContent = "";
    speakers.textContent = "";
    state.handUp = m.hands.some(function (h) { return h.user === myUser; });
    var hand = document.getElementById("hand");
    hand.setAttribute("aria-pressed", String(state.handUp));
    hand.textContent = state.handUp ? T.lower_hand : T.raise_hand;
    m.hands.forEach(function (h) {
      var li = document.createElement("li");
      li.textContent = h.name;
      if (isHost) {
        li.appendChild(button(T.give_floor, function () { send({ type: "speaker", user: +h.user, speaker: true }); }));
      }
      hands.appendChild(li);
    });
    if (!m.hands.length) {
      var empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = T.no_hands;
      hands.appendChild(empty);
    }
    m.speakers.forEach(function (p) {
      var li = document.createElement("li");
      li.textContent = p.name;
      if (p.host) {
        var tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = T.host;
        li.appendChild(document.createTextNode(" "));
        li.appendChild(tag);
      } else if (isHost) {
        li.appendChild(button(T.take_floor, function () { send({ type: "speaker", user: +p.user, speaker: false }); }));
      }
      speakers.appendChild(li);
    });
  }

  // --- recording, with consent ---------------------------------------------------------------------
  function showRecording(m) {
    var banner = document.getElementById("recording-banner");
    var dialog = document.getElementById("consent");
    var start = document.getElementById("record"), stop = document.getElementById("record-stop");
    var text = "";
    dialog.hidden = true;
    if (m.state === "asking") {
      if (isHost) {
        text = T.rec_waiting;
      } else if (m.asked !== false) {
        document.getElementById("consent-text").textContent = T.rec_ask.replace("%(name)s", m.by);
        dialog.hidden = false;
        state.consentFor = m.id;
        document.getElementById("consent-yes").focus();
      }
    } else if (m.state === "recording") {
      text = m.asked === false && !isHost ? T.rec_told : T.rec_on;
    } else if (m.state === "declined") {
      text = m.declined_by ? T.rec_declined.replace("%(name)s", m.declined_by) : T.rec_withdrawn;
    } else if (m.state === "processing") {
      text = T.rec_processing;
    } else if (m.state === "failed") {
      text = T.rec_failed;
    }
    banner.textContent = text;
    banner.hidden = !text;
    root.setAttribute("data-recording", m.state);
    if (start) {
      var running = m.state === "asking" || m.state === "recording";
      start.hidden = running;
      stop.hidden = !running;
    }
  }

  function answer(agree) {
    if (state.consentFor) { send({ type: "consent", recording: state.consentFor, agree: agree }); }
    document.getElementById("consent").hidden = true;
  }
  document.getElementById("consent-yes").onclick = function () { answer(true); };
  document.getElementById("consent-no").onclick = function () { answer(false); };
  if (document.getElementById("record")) {
    document.getElementById("record").onclick = function () { send({ type: "record", on: true }); };
    document.getElementById("record-stop").onclick = function () { send({ type: "record", on: false }); };
  }

  function answeredButton(id) {
    return button(T.mark_answered, function () { send({ type: "answered", id: id }); });
  }

  function addQuestion(m) {
    var li = document.createElement("li");
    li.setAttribute("data-question", m.id);
    li.textContent = m.at + " " + m.from + ": " + m.text;
    if (isHost) { li.appendChild(answeredButton(m.id)); }
    document.getElementById("question-log").appendChild(li);
  }

  function markAnswered(id) {
    var li = document.querySelector('#question-log [data-question="' + id + '"]');
    if (!li || li.getAttribute("data-answered")) { return; }
    li.setAttribute("data-answered", "true");
    li.querySelectorAll("button").forEach(function (b) { b.remove(); });
    var tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = T.answered;
    li.appendChild(document.createTextNode(" "));
    li.appendChild(tag);
  }

  function onPublisherEvent(tokens, msg, jsep) {
    if (jsep) { state.publisher.handleRemoteJsep({ jsep: jsep }); }
    if (msg.videoroom === "joined") {
      state.joinedAt = performance.now();
      say(T.waiting);
      if (state.role === "speaker") { publish(); }
    }
    if (msg.unpublished === "ok" && state.publisher) { state.publisher.hangup(); }
    (msg.publishers || []).forEach(function (feed) { subscribe(tokens, feed); });
    var gone = msg.unpublished || msg.leaving;
    if (gone && gone !== "ok") { closePeer("sfu-" + gone); }
    if (msg.leaving === "ok" && msg.reason === "kicked") { hangUp(T.removed); }
    if (msg.error_code) { hangUp(T.refused); }
  }

  async function startSfu() {
    var tokens = await sfuTokens();
    if (tokens.mode !== "sfu") { sfuMode = false; return; }
    await new Promise(function (resolve) {
      Janus.init({ debug: false, callback: resolve,
        dependencies: Janus.useDefaultDependencies({ adapter: { browserDetails: browserDetails() } }) });
    });
    state.janus = new Janus({
      server: tokens.url, token: tokens.token, iceServers: state.ice,
      success: function () {
        state.janus.attach({
          plugin: "janus.plugin.videoroom",
          success: function (handle) {
            state.publisher = handle;
            handle.send({ message: {
              request: "join", ptype: "publisher", room: tokens.room, id: tokens.peer_id,
              token: tokens.room_token, display: T.me || ""
            } });
          },
          onmessage: function (msg, jsep) { onPublisherEvent(tokens, msg, jsep); }
        });
      },
      error: function () { if (!state.closed) { say(T.connecting); } }
    });
  }

  // --- signalling --------------------------------------------------------------------------------
  function onMessage(event) {
    var m;
    try { m = JSON.parse(event.data); } catch (e) { return; }
    if (m.type === "role") { if (m.user === myUser) { takeRole(m.role); } return; }
    if (m.type === "hands") { showHands(m); return; }
    if (m.type === "question") { addQuestion(m); return; }
    if (m.type === "answered") { markAnswered(m.id); return; }
    if (m.type === "recording") { showRecording(m); return; }
    if (m.type === "viewers") {
      var links = document.getElementById("viewer-links");
      if (links) {
        links.textContent = T.viewer_links.replace("%(good)s", m.good).replace("%(fair)s", m.fair)
          .replace("%(poor)s", m.poor).replace("%(unknown)s", m.unknown);
        links.hidden = false;
      }
      return;
    }
    if (m.type === "error") { say(m.message || ""); return; }
    if (sfuMode && ["welcome", "peer-joined", "peer-left", "signal"].indexOf(m.type) >= 0) {
      if (m.type === "welcome") { state.me = m.you; }
      return;  // the media go through the SFU
    }
    if (m.type === "welcome") {
      state.me = m.you;
      state.joinedAt = performance.now();
      say(m.peers.length ? T.connecting : T.waiting);
      m.peers.forEach(function (p) { createPeer(p.peer, p.name, true); });
    } else if (m.type === "peer-joined") {
      createPeer(m.peer, m.name, false);
    } else if (m.type === "peer-left") {
      closePeer(m.peer);
    } else if (m.type === "signal") {
      onSignal(m.from, m.data);
    } else if (m.type === "chat") {
      var item = document.createElement("li");
      item.textContent = m.at + " " + m.from + ": " + m.text;
      document.getElementById("chat-log").appendChild(item);
    } else if (m.type === "quality") {
      var peer = state.peers.get(m.peer);
      if (peer) { peer.tile.quality.textContent = "● " + T[m.level]; peer.tile.quality.setAttribute("data-level", m.level); }
    }
  }

  function hangUp(text) {
    state.closed = true;
    state.peers.forEach(function (p) { closePeer(p.id); });
    if (state.janus) { state.janus.destroy(); state.janus = null; }
    state.local.getTracks().forEach(function (t) { t.stop(); });
    say(text);
    root.setAttribute("data-closed", "true");
  }

  // The websocket server (settings.LIVE_WS_URL, in <body data-ws-origin>), as in live.js.
  function socketUrl(wsPath) {
    var origin = document.body.getAttribute("data-ws-origin") || "";
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    if (!origin) { return scheme + window.location.host + wsPath; }
    if (origin.charAt(0) === ":") { return scheme + window.location.hostname + origin + wsPath; }
    return origin + wsPath;
  }

  function connect() {
    state.ws = new WebSocket(socketUrl(root.getAttribute("data-ws")));
    state.ws.onmessage = onMessage;
    state.ws.onclose = function (event) {
      var text = { 4403: T.removed, 4410: T.ended, 4404: T.refused, 4401: T.refused }[event.code];
      if (text || state.closed) { hangUp(text || T.left); return; }
      // A dropped link: come back into the room as a new peer, after a growing pause.
      state.peers.forEach(function (p) { closePeer(p.id); });
      say(T.connecting);
      window.setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 30000);
    };
    state.ws.onopen = function () { state.retry = 1000; };
  }

  // --- controls -----------------------------------------------------------------------------------
  document.getElementById("enable-sound").onclick = function () {
    state.peers.forEach(function (p) { p.tile.audio.play().catch(function () {}); });
    this.hidden = true;
  };
  document.getElementById("mute").onclick = function () {
    state.muted = !state.muted;
    state.local.getAudioTracks().forEach(function (t) { t.enabled = !state.muted; });
    this.setAttribute("aria-pressed", String(state.muted));
  };
  document.getElementById("camera-off").onclick = function () {
    state.cameraOff = !state.cameraOff;
    state.local.getVideoTracks().forEach(function (t) { t.enabled = !state.cameraOff; });
    this.setAttribute("aria-pressed", String(state.cameraOff));
  };
  document.getElementById("share").onclick = async function () {
    if (!navigator.mediaDevices.getDisplayMedia) { return; }
    if (state.screen) { state.screen.stop(); return; }
    try {
      var display = await navigator.mediaDevices.getDisplayMedia({ video: true });
      state.screen = display.getVideoTracks()[0];
      state.screen.onended = function () { state.screen = null; applyMode(state.mode); };
      await applyMode(state.mode === "audio" ? "weak" : state.mode);
    } catch (e) { /* the person declined */ }
  };
  document.getElementById("mode-select").onchange = function () { applyMode(this.value); };
  document.getElementById("camera-select").onchange = async function () {
    var stream = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: this.value } } });
    var track = stream.getVideoTracks()[0];
    state.local.getVideoTracks().forEach(function (t) { state.local.removeTrack(t); t.stop(); });
    state.local.addTrack(track);
    state.camera = track;
    localVideo.srcObject = state.local;
    await applyMode(state.mode);
  };
  document.getElementById("mic-select").onchange = async function () {
    var stream = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: this.value } } });
    var track = stream.getAudioTracks()[0];
    state.local.getAudioTracks().forEach(function (t) { state.local.removeTrack(t); t.stop(); });
    state.local.addTrack(track);
    await replaceTrack("audio", track);
  };
  document.getElementById("leave").onclick = function () {
    state.closed = true;
    if (state.ws) { state.ws.close(1000); }
    hangUp(T.left);
  };
  document.getElementById("chat-form").onsubmit = function (event) {
    event.preventDefault();
    var input = document.getElementById("chat-text");
    if (input.value.trim()) { send({ type: "chat", text: input.value.trim() }); input.value = ""; }
  };

  if (teaching) {
    document.getElementById("hand").onclick = function () { send({ type: "hand", up: !state.handUp }); };
    document.getElementById("question-form").onsubmit = function (event) {
      event.preventDefault();
      var input = document.getElementById("question-text");
      if (input.value.trim()) { send({ type: "question", text: input.value.trim() }); input.value = ""; }
    };
    document.querySelectorAll("#question-log button.answer").forEach(function (b) {
      b.onclick = function () { send({ type: "answered", id: +b.getAttribute("data-id") }); };
    });
    showRole();
  }

  // For tests and the benchmark: the state of each connection as the browser sees it.
  window.caunoiRoom = {
    snapshot: async function () {
      await sample();
      var out = [];
      state.peers.forEach(function (p) {
        if (!p.pc) { return; }
        out.push({
          peer: p.id, state: p.pc.connectionState, framesDecoded: p.framesDecoded || 0,
          frameWidth: p.frameWidth || 0, layer: p.layer === undefined ? null : p.layer,
          loss: Math.round((p.loss || 0) * 10) / 10, rtt: Math.round(p.rtt || 0),
          substream: p.substream === undefined ? null : p.substream, floor: p.floor || 0
        });
      });
      return {
        me: state.me, role: state.role, mode: state.mode, firstConnectedMs: state.firstConnectedMs,
        connectedSincePageStart: state.connectedSincePageStart || null, sentKbps: state.sentKbps || 0, peers: out
      };
    },
    applyMode: applyMode,
    // What this browser received from each peer, by kind (packets, bytes, frames decoded).
    received: async function () {
      var out = {};
      for (var peer of state.peers.values()) {
        if (!peer.pc) { continue; }
        var got = { audio: { packets: 0, bytes: 0, samples: 0, concealed: 0 }, video: { packets: 0, bytes: 0, frames: 0, width: 0 }, layer: peer.layer === undefined ? null : peer.layer };
        (await peer.pc.getStats()).forEach(function (s) {
          if (s.type !== "inbound-rtp" || !got[s.kind]) { return; }
          got[s.kind].packets += s.packetsReceived || 0;
          got[s.kind].bytes += s.bytesReceived || 0;
          if (s.kind === "video") { got.video.frames += s.framesDecoded || 0; got.video.width = s.frameWidth || 0; }
          // Audio samples played, and those the decoder had to invent for packets that never came.
          if (s.kind === "audio") { got.audio.samples += s.totalSamplesReceived || 0; got.audio.concealed += s.concealedSamples || 0; }
        });
        out[peer.id] = got;
      }
      return out;
    },
    // Through the SFU: each simulcast layer this browser sends (rid, size, bytes).
    sentLayers: async function () {
      var pc = state.publisher && state.publisher.webrtcStuff.pc;
      if (!pc) { return []; }
      var out = [];
      (await pc.getStats()).forEach(function (s) {
        if (s.type === "outbound-rtp" && s.kind === "video") {
          out.push({ rid: s.rid || "", frameWidth: s.frameWidth || 0, bytesSent: s.bytesSent || 0,
            framesSent: s.framesSent || 0, limited: s.qualityLimitationReason || "" });
        }
      });
      return out;
    }
  };

  (async function start() {
    try {
      var response = await fetch(root.getAttribute("data-ice"), { credentials: "same-origin" });
      if (response.ok) { state.ice = (await response.json()).ice_servers; }
    } catch (e) { state.ice = []; }
    if (state.role === "speaker") { await openMedia(); } else { await listDevices(); }
    if (sfuMode) {
      // A teaching session has no mesh to fall back to (its viewers would each be called): its
      // chat and questions still work.
      try { await startSfu(); } catch (e) { if (teaching) { say(T.nosfu); } else { sfuMode = false; } }
    }
    connect();
    window.setInterval(function () {
      if (state.closed) { return; }
      sample();
      if (teaching && isHost) { send({ type: "links" }); }  // the viewers' links, counted
    }, 2000);
  })();
})();
