#include "kh/kiosk/ui/sound.hpp"

#include <algorithm>
#include <cmath>

#include <SDL.h>
#include <spdlog/spdlog.h>

namespace kh::kiosk::ui {

std::vector<std::int16_t> make_tone(const std::vector<note>& notes, int rate, double volume) {
  std::vector<std::int16_t> out;
  const double amp = std::clamp(volume, 0.0, 1.0) * 32767.0;
  const int fade = rate * 5 / 1000;
  for (const auto& n : notes) {
    const int count = rate * std::max(0, n.ms) / 1000;
    for (int i = 0; i < count; ++i) {
      double env = 1.0;
      if (i < fade) env = static_cast<double>(i) / fade;
      if (count - i < fade) env = std::min(env, static_cast<double>(count - i) / fade);
      const double v = n.hz > 0 ? std::sin(2.0 * M_PI * n.hz * i / rate) : 0.0;
      out.push_back(static_cast<std::int16_t>(std::lround(v * env * amp)));
    }
  }
  return out;
}

std::vector<note> new_order_tone() { return {{660, 110}, {0, 40}, {990, 160}}; }
std::vector<note> ready_chime() { return {{784, 180}, {0, 30}, {988, 180}, {0, 30}, {1175, 320}}; }

sound::sound() {
  if (SDL_WasInit(SDL_INIT_AUDIO) == 0) {
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
      spdlog::info("kiosk: no audio ({}): sounds off", SDL_GetError());
      return;
    }
    own_init_ = true;
  }
  SDL_AudioSpec want{}, have{};
  want.freq = rate_;
  want.format = AUDIO_S16SYS;
  want.channels = 1;
  want.samples = 1024;
  dev_ = SDL_OpenAudioDevice(nullptr, 0, &want, &have, 0);
  if (dev_ == 0) {
    spdlog::info("kiosk: no audio device ({}): sounds off", SDL_GetError());
    return;
  }
  SDL_PauseAudioDevice(dev_, 0);
}

sound::~sound() {
  if (dev_ != 0) SDL_CloseAudioDevice(dev_);
  if (own_init_) SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

void sound::play(const std::vector<note>& notes) {
  ++played_;
  if (dev_ == 0) return;
  const auto samples = make_tone(notes, rate_);
  // Never let sounds pile up (a burst of orders): drop what is still queued first.
  if (SDL_GetQueuedAudioSize(dev_) > static_cast<Uint32>(rate_)) SDL_ClearQueuedAudio(dev_);
  SDL_QueueAudio(dev_, samples.data(), static_cast<Uint32>(samples.size() * sizeof(std::int16_t)));
}

}  // namespace kh::kiosk::ui
