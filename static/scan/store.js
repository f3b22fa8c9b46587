// IndexedDB for the ranger scanner: the site pack and the device id ("meta"), and the
// visit log ("visits", keyed by the client-generated UUID that makes uploads idempotent),
// and planting-day check-ins ("checkins", keyed the same way).

const DB_NAME = "tanhui-scan";
const DB_VERSION = 2;

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
      if (!db.objectStoreNames.contains("visits")) db.createObjectStore("visits", { keyPath: "id" });
      if (!db.objectStoreNames.contains("checkins")) db.createObjectStore("checkins", { keyPath: "id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(storeName, mode, action) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(storeName, mode);
      const result = action(tx.objectStore(storeName));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const getMeta = (key) => run("meta", "readonly", (s) => s.get(key));
export const setMeta = (key, value) => run("meta", "readwrite", (s) => s.put(value, key));
export const allVisits = () => run("visits", "readonly", (s) => s.getAll());
export const putVisit = (visit) => run("visits", "readwrite", (s) => s.put(visit));
export const allCheckins = () => run("checkins", "readonly", (s) => s.getAll());
export const putCheckin = (checkin) => run("checkins", "readwrite", (s) => s.put(checkin));

export async function deviceId() {
  let id = await getMeta("device_id");
  if (!id) {
    id = crypto.randomUUID();
    await setMeta("device_id", id);
  }
  return id;
}
