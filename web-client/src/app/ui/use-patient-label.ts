import { useEffect, useState } from 'preact/hooks';

import { patientLabel } from '../api/patients.js';

/** The patient's display name once known; the given fallback (or the id) until then. */
export function usePatientLabel(patientId: string, fallback?: string): string {
  const [label, setLabel] = useState(fallback ?? patientId);
  useEffect(() => {
    if (fallback) {
      return undefined;
    }
    let live = true;
    void patientLabel(patientId).then((l) => live && setLabel(l));

    return () => {
      live = false;
    };
  }, [patientId, fallback]);

  return label;
}
