import { searchFhir, type FhirResource } from './fhir.js';

/** A FHIR Device, reduced to what the app shows. */
export interface DeviceResource extends FhirResource {
  resourceType: 'Device';
  status?: string;
  deviceName?: Array<{ name?: string }>;
  modelNumber?: string;
  serialNumber?: string;
  identifier?: Array<{ system?: string; value?: string }>;
  type?: { text?: string; coding?: Array<{ display?: string }> };
  patient?: { reference?: string };
}

/** A patient's devices. */
export function listDevices(patientId: string): Promise<DeviceResource[]> {
  return searchFhir<DeviceResource>('Device', { patient: patientId, _count: '50' });
}

/** A device's display name. */
export function deviceLabel(device: DeviceResource): string {
  return (
    device.deviceName?.[0]?.name ??
    device.type?.text ??
    device.type?.coding?.[0]?.display ??
    device.modelNumber ??
    device.id ??
    'Device'
  );
}
