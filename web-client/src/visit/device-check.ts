/** Result of the pre-call check the patient (and clinician) sees before joining. */
export interface DeviceCheck {
  stream: MediaStream;
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
  /** Stops the level meter (the stream stays live for the call). */
  stopMeter(): void;
}

/**
 * Opens camera and microphone, lists devices, and drives a microphone level meter so the
 * patient can see they are heard before joining.
 */
export async function checkDevices(options: {
  cameraId?: string;
  microphoneId?: string;
  onLevel?: (level: number) => void;
}): Promise<DeviceCheck> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: options.microphoneId ? { deviceId: { exact: options.microphoneId } } : true,
    video: {
      width: { ideal: 1280 },
      height: { ideal: 720 },
      ...(options.cameraId ? { deviceId: { exact: options.cameraId } } : {}),
    },
  });
  const devices = await navigator.mediaDevices.enumerateDevices();

  const audio = new AudioContext();
  const analyser = audio.createAnalyser();
  analyser.fftSize = 512;
  audio.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  let running = true;
  const tick = () => {
    if (!running) {
      return;
    }
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) {
      peak = Math.max(peak, Math.abs(s - 128));
    }
    options.onLevel?.(peak / 128);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  return {
    stream,
    cameras: devices.filter((d) => d.kind === 'videoinput'),
    microphones: devices.filter((d) => d.kind === 'audioinput'),
    stopMeter: () => {
      running = false;
      void audio.close();
    },
  };
}
