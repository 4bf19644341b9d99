// Submit an extrinsic and wait until it is in a finalized block; return its events and outcome.
export function submitAndFinalize(api, tx, signer, { timeoutMs = 90_000 } = {}) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    const timer = setTimeout(() => { unsub(); reject(new Error('extrinsic not finalized in time')); }, timeoutMs);
    tx.signAndSend(signer, (result) => {
      const { status, events, dispatchError } = result;
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        clearTimeout(timer); unsub(); reject(new Error(`extrinsic ${status.type}`));
        return;
      }
      if (status.isFinalized) {
        clearTimeout(timer); unsub();
        let error = null;
        if (dispatchError) {
          if (dispatchError.isModule) {
            const m = api.registry.findMetaError(dispatchError.asModule);
            error = { kind: 'Module', section: m.section, name: m.name, docs: m.docs.join(' ') };
          } else {
            error = { kind: dispatchError.type, detail: dispatchError.toHuman() };
          }
        }
        resolve({ blockHash: status.asFinalized, events, error, txHash: tx.hash.toHex() });
      }
    }).then((u) => { unsub = u; }).catch((e) => { clearTimeout(timer); reject(e); });
  });
}

/** The `TransactionFeePaid` actual fee in the events of one extrinsic. */
export function feePaid(events) {
  const ev = events.find(({ event }) => event.section === 'transactionPayment' && event.method === 'TransactionFeePaid');
  if (!ev) throw new Error('no TransactionFeePaid event');
  return ev.event.data[1].toBigInt(); // actual_fee (it already includes the tip, data[2])
}

/** Find events by section.method. */
export function findEvents(events, section, method) {
  return events.filter(({ event }) => event.section === section && event.method === method).map(({ event }) => event);
}
