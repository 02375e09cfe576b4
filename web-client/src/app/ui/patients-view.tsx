import { displayName } from '../api/fhir.js';
import { listPatients } from '../api/patients.js';
import { useLoad } from '../hooks.js';
import { hrefOf } from '../router.js';
import { ViewHeading } from './view-heading.js';

/** The patients a nurse or clinician covers, each linking to the chart. */
export function PatientsView() {
  const patients = useLoad(() => listPatients(), []);

  return (
    <section>
      <ViewHeading title="Patients" />
      {patients.error ? (
        <p class="error" role="alert">
          Could not load patients: {patients.error.message}
        </p>
      ) : null}
      {patients.data ? (
        patients.data.length === 0 ? (
          <p class="card">No patients in your units.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Patients you cover</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Born</th>
                  <th scope="col">Chart</th>
                </tr>
              </thead>
              <tbody>
                {patients.data.map((p) => {
                  const name = displayName(p, p.id ?? '');

                  return (
                    <tr key={p.id}>
                      <th scope="row">{name}</th>
                      <td>{p.birthDate ?? '–'}</td>
                      <td>
                        <a href={hrefOf(`patient/${encodeURIComponent(p.id ?? '')}`)}>
                          Open chart<span class="visually-hidden"> for {name}</span>
                        </a>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )
      ) : (
        <p role="status">Loading patients…</p>
      )}
    </section>
  );
}
