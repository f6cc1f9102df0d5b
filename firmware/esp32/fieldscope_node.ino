// Fieldscope reference node for ESP32 (Arduino core 2.x/3.x).
// Publishes readings on devices/{id}/telemetry, keeps devices/{id}/state (last will "offline",
// "online" on connect, both retained), obeys commands on devices/{id}/commands (set_interval,
// set_threshold, reboot, ota) answering on devices/{id}/commands/ack, and updates its firmware over
// HTTP Range requests, checking the sha256 before switching (docs/commands-and-ota.md).
//
// Libraries: PubSubClient (Nick O'Leary), ArduinoJson 7 (Benoit Blanchon). Not compiled in the
// Fieldscope repository; see README.md.

#include <WiFi.h>
#include <HTTPClient.h>
#include <Update.h>
#include <PubSubClient.h>
#include <ArduinoJson.h>
#include <mbedtls/sha256.h>
#include <time.h>

// ---- settings: put yours here (or in a secrets.h you do not commit) ----
static const char *WIFI_SSID = "your-ssid";
static const char *WIFI_PASS = "your-password";
static const char *MQTT_HOST = "192.168.1.10";   // the machine running `fieldscope start --host 0.0.0.0`
static const uint16_t MQTT_PORT = 1883;
static const char *DEVICE_ID = "esp32-node-01";
static const char *PROFILE = "ina219";             // the profile this node's readings follow
static const char *FW_VERSION = "1.0.0";

static const uint32_t MIN_INTERVAL_MS = 10, MAX_INTERVAL_MS = 3600000;
static const size_t CHUNK = 16 * 1024;            // OTA Range piece

WiFiClient net;
PubSubClient mqtt(net);
char topicTelemetry[96], topicState[96], topicCommands[96], topicAck[96], topicOta[96];
uint32_t intervalMs = 1000, lastSample = 0, seq = 0;
float thresholdLow = NAN, thresholdHigh = NAN;
String recentIds[8];                                // commands already run (answer repeats, do not rerun)
uint8_t recentNext = 0;
bool rebootAfterAck = false;
JsonDocument pendingOta;                            // set by the ota command, run from loop()

static void publishJson(const char *topic, JsonDocument &doc, bool retain = false) {
  char buf[512];
  size_t n = serializeJson(doc, buf, sizeof buf);
  mqtt.publish(topic, (const uint8_t *)buf, n, retain);
}

static void ack(const char *id, bool ok, const char *reason = nullptr) {
  JsonDocument a;
  a["id"] = id;
  a["status"] = ok ? "acked" : "failed";
  if (reason) a["reason"] = reason;
  publishJson(topicAck, a);
}

static void otaReport(const char *status, float progress, const char *reason, const char *rollout) {
  JsonDocument r;
  r["status"] = status;
  if (progress >= 0) r["progress"] = progress;
  if (reason) r["reason"] = reason;
  if (rollout && *rollout) r["rollout"] = rollout;
  publishJson(topicOta, r);
  mqtt.loop();
}

// Downloads url in Range pieces into the OTA partition while hashing; switches only if size and
// sha256 match. Reports progress on devices/{id}/ota.
static void runOta(const char *url, size_t size, const char *sha256hex, const char *version, const char *rollout) {
  if (!Update.begin(size)) return otaReport("failed", -1, "not enough space for the image", rollout);
  mbedtls_sha256_context sha;
  mbedtls_sha256_init(&sha);
  mbedtls_sha256_starts(&sha, 0);
  static uint8_t buf[1024];
  size_t got = 0;
  otaReport("downloading", 0, nullptr, rollout);
  while (got < size) {
    size_t end = min(size, got + CHUNK) - 1;
    HTTPClient http;
    http.begin(url);
    http.addHeader("Range", String("bytes=") + got + "-" + end);
    int code = http.GET();
    if (code != 206) {
      http.end();
      Update.abort();
      return otaReport("failed", -1, (String("HTTP ") + code).c_str(), rollout);
    }
    WiFiClient *s = http.getStreamPtr();
    size_t want = end - got + 1;
    uint32_t deadline = millis() + 15000;
    while (want > 0 && millis() < deadline) {
      int n = s->readBytes(buf, min(want, sizeof buf));
      if (n <= 0) continue;
      mbedtls_sha256_update(&sha, buf, n);
      if (Update.write(buf, n) != (size_t)n) { http.end(); Update.abort(); return otaReport("failed", -1, "flash write failed", rollout); }
      got += n;
      want -= n;
    }
    http.end();
    if (want > 0) { Update.abort(); return otaReport("failed", -1, "download stalled", rollout); }
    otaReport("downloading", (float)got / size, nullptr, rollout);
  }
  otaReport("verifying", 1, nullptr, rollout);
  uint8_t digest[32];
  mbedtls_sha256_finish(&sha, digest);
  mbedtls_sha256_free(&sha);
  char hex[65];
  for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", digest[i]);
  if (strcasecmp(hex, sha256hex) != 0) {
    Update.abort();
    return otaReport("failed", -1, (String("sha256 mismatch: image is ") + hex).c_str(), rollout);
  }
  if (!Update.end(true)) return otaReport("failed", -1, Update.errorString(), rollout);
  JsonDocument r;
  r["status"] = "success";
  r["version"] = version;
  if (rollout && *rollout) r["rollout"] = rollout;
  publishJson(topicOta, r);
  mqtt.loop();
  delay(500);
  ESP.restart();
}

static void onCommand(char *topic, byte *payload, unsigned int len) {
  JsonDocument cmd;
  if (deserializeJson(cmd, payload, len)) return ack("", false, "command is not valid JSON");
  const char *id = cmd["id"] | "";
  const char *name = cmd["name"] | "";
  if (!*id) return ack("", false, "command.id missing");
  for (auto &r : recentIds) if (r == id) return ack(id, true);   // a redelivery: answer, do not run twice
  recentIds[recentNext++ % 8] = id;
  JsonObject p = cmd["params"].as<JsonObject>();
  if (!strcmp(name, "set_interval")) {
    uint32_t ms = p["ms"] | 0;
    if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) return ack(id, false, "params.ms out of range");
    intervalMs = ms;
    ack(id, true);
  } else if (!strcmp(name, "set_threshold")) {
    if (!p["low"].isNull()) thresholdLow = p["low"];
    if (!p["high"].isNull()) thresholdHigh = p["high"];
    ack(id, true);
  } else if (!strcmp(name, "reboot")) {
    ack(id, true);
    rebootAfterAck = true;
  } else if (!strcmp(name, "ota")) {
    if (!p["url"].is<const char *>() || !p["sha256"].is<const char *>() || !p["size"].is<size_t>()) return ack(id, false, "ota needs url, size, sha256, version");
    ack(id, true);
    pendingOta.set(p);   // run from loop(), outside the MQTT callback
  } else {
    ack(id, false, "unknown command");
  }
}

static void connectMqtt() {
  while (!mqtt.connected()) {
    // Last will: the broker marks us offline the moment the connection dies.
    if (mqtt.connect(DEVICE_ID, nullptr, nullptr, topicState, 1, true, "offline")) {
      mqtt.publish(topicState, "online", true);
      mqtt.subscribe(topicCommands, 1);
    } else {
      delay(2000);
    }
  }
}

static float readVolts() { return 5.0 + (esp_random() % 100) / 1000.0; }  // replace with your sensor (INA219 bus voltage...)
static float readAmps() { return 0.25 + (esp_random() % 50) / 1000.0; }

void setup() {
  Serial.begin(115200);
  snprintf(topicTelemetry, sizeof topicTelemetry, "devices/%s/telemetry", DEVICE_ID);
  snprintf(topicState, sizeof topicState, "devices/%s/state", DEVICE_ID);
  snprintf(topicCommands, sizeof topicCommands, "devices/%s/commands", DEVICE_ID);
  snprintf(topicAck, sizeof topicAck, "devices/%s/commands/ack", DEVICE_ID);
  snprintf(topicOta, sizeof topicOta, "devices/%s/ota", DEVICE_ID);
  WiFi.begin(WIFI_SSID, WIFI_PASS);
  while (WiFi.status() != WL_CONNECTED) delay(250);
  configTime(0, 0, "pool.ntp.org");               // ts in UTC; without a clock, leave ts out
  mqtt.setServer(MQTT_HOST, MQTT_PORT);
  mqtt.setBufferSize(1024);
  mqtt.setCallback(onCommand);
}

void loop() {
  if (!mqtt.connected()) connectMqtt();
  mqtt.loop();
  if (rebootAfterAck) { mqtt.loop(); delay(200); ESP.restart(); }
  if (!pendingOta.isNull()) {
    JsonDocument job = pendingOta;
    pendingOta.clear();
    runOta(job["url"], job["size"], job["sha256"], job["version"] | "", job["rollout"] | "");
  }
  if (millis() - lastSample >= intervalMs) {
    lastSample = millis();
    float v = readVolts(), a = readAmps();
    JsonDocument m;
    m["profile"] = PROFILE;
    m["seq"] = ++seq;
    time_t now = time(nullptr);
    if (now > 1600000000) m["ts"] = (uint64_t)now * 1000ULL;
    m["v"] = v;
    m["a"] = a;
    m["w"] = v * a;
    m["fw"] = FW_VERSION;
    m["status"] = (!isnan(thresholdHigh) && v > thresholdHigh) || (!isnan(thresholdLow) && v < thresholdLow) ? "alarm" : "ok";
    publishJson(topicTelemetry, m);   // PubSubClient publishes QoS 0; use a QoS 1 client if you must not lose any
  }
}
