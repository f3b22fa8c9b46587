// QR decoding for the ranger scanner: the camera through BarcodeDetector where the
// browser has it, else jsQR (from the npm registry, copied into static/vendor at build
// time) on video frames; a photo file is decoded the same way.

let jsqrLoading = null;

function loadJsQR(url) {
  if (globalThis.jsQR) return Promise.resolve(globalThis.jsQR);
  if (!jsqrLoading) {
    jsqrLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(globalThis.jsQR);
      script.onerror = () => reject(new Error("jsQR could not be loaded"));
      document.head.append(script);
    });
  }
  return jsqrLoading;
}

function detector() {
  if (!("BarcodeDetector" in globalThis)) return null;
  try {
    return new globalThis.BarcodeDetector({ formats: ["qr_code"] });
  } catch {
    return null;
  }
}

async function decodeSource(source, width, height, jsqrUrl) {
  const native = detector();
  if (native) {
    try {
      const codes = await native.detect(source);
      if (codes.length) return codes[0].rawValue;
    } catch {
      // fall through to jsQR
    }
  }
  const jsQR = await loadJsQR(jsqrUrl);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, width, height);
  const image = ctx.getImageData(0, 0, width, height);
  const code = jsQR(image.data, width, height);
  return code ? code.data : null;
}

/** The text of the first QR code in an image file, or null. */
export async function decodeFile(file, jsqrUrl) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  const w = Math.round(bitmap.width * scale);
  const h = Math.round(bitmap.height * scale);
  try {
    return await decodeSource(bitmap, w, h, jsqrUrl);
  } finally {
    bitmap.close();
  }
}

export function cameraAvailable() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

/** Scan from the rear camera into `video` until a QR code is read; resolves its text. */
export async function scanCamera(video, jsqrUrl, signal) {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  try {
    while (!signal.aborted) {
      if (video.videoWidth) {
        const text = await decodeSource(video, video.videoWidth, video.videoHeight, jsqrUrl);
        if (text) return text;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return null;
  } finally {
    stream.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
    video.hidden = true;
  }
}
