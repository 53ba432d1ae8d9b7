/**
 * boto3 against the local cloud: the documented EnableMFADevice calls of the client and of the resource API
 * (`User(name).enable_mfa(...)` returning an `iam.MfaDevice`), and an `enrollment-codes` task sent with
 * `send_message` that the worker turns into `remediated`. TOTP codes are computed by the script itself
 * (hmac, RFC 6238) from the seed the local cloud returned. Per Python with boto3 found.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENTS, missing, python } from './support.ts';
import { ACCOUNT, type ClientWorld, startClientWorld } from './world.ts';

describe.skipIf(CLIENTS.boto3.length === 0)(`boto3${missing('python3-boto3', CLIENTS.boto3)}`, () => {
  let world: ClientWorld;

  beforeAll(async () => {
    world = await startClientWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  describe.each(CLIENTS.boto3)('$version', (client) => {
    const suffix = client.version.replace(/[^a-z0-9]/gi, '');

    it('enables MFA through the client and through the resource API, which returns an iam.MfaDevice', async () => {
      // Prepare
      const [viaClient, viaResource] = [`fay-${suffix}`, `gus-${suffix}`];
      world.cloud.seed({ users: [{ userName: viaClient }, { userName: viaResource }] });

      // Act
      const result = await python(
        client,
        world.cloud.url,
        `
iam = client("iam")
out = {}
def device(name):
    d = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    return d["SerialNumber"], d["Base32StringSeed"].decode("ascii")
serial, seed = device("${viaClient}")
try:
    iam.enable_mfa_device(UserName="${viaClient}", SerialNumber=serial, AuthenticationCode1="000000", AuthenticationCode2="111111")
except iam.exceptions.InvalidAuthenticationCodeException as e:
    out["wrong"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
code1, code2 = consecutive_codes(seed)
out["client"] = iam.enable_mfa_device(UserName="${viaClient}", SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2)["ResponseMetadata"]["HTTPStatusCode"]
try:
    iam.enable_mfa_device(UserName="${viaClient}", SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2)
except iam.exceptions.EntityAlreadyExistsException as e:
    out["again"] = e.response["Error"]["Code"]
serial2, seed2 = device("${viaResource}")
resource = boto3.resource("iam", endpoint_url=ENDPOINT, region_name="us-east-1")
code1, code2 = consecutive_codes(seed2)
mfa = resource.User("${viaResource}").enable_mfa(SerialNumber=serial2, AuthenticationCode1=code1, AuthenticationCode2=code2)
out["resource"] = {"type": type(mfa).__name__, "user_name": mfa.user_name, "serial_number": mfa.serial_number}
out["listed"] = [d.serial_number for d in resource.User("${viaResource}").mfa_devices.all()]
print(json.dumps(out))
`,
      );

      // Assess
      expect(result.code, result.stderr).toBe(0);
      const out = result.json<Record<string, unknown>>();
      expect(out.wrong).toEqual(['InvalidAuthenticationCode', 403]);
      expect(out.client).toBe(200);
      expect(out.again).toBe('EntityAlreadyExists');
      expect(out.resource).toEqual({
        type: 'iam.MfaDevice',
        user_name: viaResource,
        serial_number: `arn:aws:iam::${ACCOUNT}:mfa/${viaResource}`,
      });
      expect(out.listed).toEqual([`arn:aws:iam::${ACCOUNT}:mfa/${viaResource}`]);
      expect(world.cloud.iam.getUser(ACCOUNT, viaClient)?.mfaSerialNumbers).toEqual([
        `arn:aws:iam::${ACCOUNT}:mfa/${viaClient}`,
      ]);
    });

    it('sends an enrollment-codes task with send_message that the worker turns into remediated', async () => {
      // Prepare
      const userName = `hal-${suffix}`;
      world.cloud.seed({ users: [{ userName, consolePassword: true }] });
      const device = await world.createDevice(userName);

      // Act: the script computes the codes from the device's seed, as a person's authenticator would
      const result = await python(
        client,
        world.cloud.url,
        `
code1, code2 = consecutive_codes("${device.seed}")
sent = client("sqs").send_message(QueueUrl="${world.pipeline.queueUrl}", MessageBody=json.dumps({
    "type": "enrollment-codes", "accountId": "${ACCOUNT}", "userName": "${userName}",
    "serialNumber": "${device.serialNumber}", "code1": code1, "code2": code2}))
print(json.dumps({"MessageId": sent["MessageId"], "MD5OfMessageBody": sent["MD5OfMessageBody"]}))
`,
      );
      const outcomes = await world.runWorker();

      // Assess
      expect(result.code, result.stderr).toBe(0);
      expect(result.json()).toMatchObject({ MessageId: expect.any(String) });
      expect(outcomes.filter((o) => o.userName === userName).map((o) => o.outcome)).toEqual(['remediated']);
    });

    it('speaks every SQS operation the worker needs, errors with the modelled exception classes', async () => {
      // Act
      const result = await python(
        client,
        world.cloud.url,
        `
sqs = client("sqs")
out = {}
url = sqs.create_queue(QueueName="boto3-${suffix}", Attributes={"VisibilityTimeout": "5"}, tags={"team": "sec"})["QueueUrl"]
sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "one\\r\\ntwo", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}, {"Id": "b", "MessageBody": "x"}])
got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"]
out["bodies"] = sorted(m["Body"] for m in got)
out["attributes"] = [m.get("MessageAttributes") for m in got if m["Body"] == "x" or "MessageAttributes" in m]
out["deleted"] = len(sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])["Successful"])
out["depth"] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
out["tags"] = sqs.list_queue_tags(QueueUrl=url)["Tags"]
try:
    sqs.get_queue_url(QueueName="missing-${suffix}")
except sqs.exceptions.QueueDoesNotExist as e:
    out["missing"] = e.response["Error"]["Code"]
print(json.dumps(out))
`,
      );

      // Assess
      expect(result.code, result.stderr).toBe(0);
      expect(result.json()).toEqual({
        bodies: ['one\r\ntwo', 'x'],
        attributes: expect.arrayContaining([{ k: { DataType: 'String', StringValue: 'v' } }]),
        deleted: 2,
        depth: { ApproximateNumberOfMessages: '0' },
        tags: { team: 'sec' },
        missing: expect.stringMatching(/^(AWS\.SimpleQueueService\.NonExistentQueue|QueueDoesNotExist)$/),
      });
    });

    it("refuses a GetFindings filter beyond AWS's limits with the modelled InvalidInputException", async () => {
      // Act: 20 Id values pass, 21 do not (AwsSecurityFindingFilters: up to 20 values per attribute).
      const result = await python(
        client,
        world.cloud.url,
        `
hub = client("securityhub")
ids = [{"Value": "arn:aws:securityhub:us-east-1:${ACCOUNT}:finding/f%d" % i, "Comparison": "EQUALS"} for i in range(21)]
out = {"twenty": len(hub.get_findings(Filters={"Id": ids[:20]})["Findings"])}
try:
    hub.get_findings(Filters={"Id": ids})
except hub.exceptions.InvalidInputException as e:
    out["refused"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"]]
print(json.dumps(out))
`,
      );

      // Assess
      expect(result.code, result.stderr).toBe(0);
      expect(result.json()).toEqual({
        twenty: 0,
        refused: [
          'InvalidInputException',
          400,
          "Invalid parameter 'Filters'. data.Id should NOT have more than 20 items (got 21)",
        ],
      });
    });
  });
});
