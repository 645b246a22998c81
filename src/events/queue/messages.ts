// Checks of a message before it is stored, with SQS's rules and wording.
import type { MessageAttributes } from '../../core/queues.ts';
import { hasInvalidCharacters, messageSize, queueInvalid } from '../../core/queues.ts';

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const MAX_ATTRIBUTES = 10;

/** Throws ERR_QUEUE_INVALID (reason 'parameter', 'message-contents' or 'message-too-large'). */
export function validateMessage(body: string, attributes: MessageAttributes, maximumMessageSize: number): void {
  if (body.length === 0) {
    throw queueInvalid('The request must contain the parameter MessageBody.', 'parameter');
  }
  if (hasInvalidCharacters(body)) {
    throw queueInvalid(
      'Invalid binary character in the message body: only #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF are allowed',
      'message-contents',
    );
  }
  validateAttributes(attributes);
  const size = messageSize(body, attributes);
  if (size > maximumMessageSize) {
    throw queueInvalid(
      `One or more parameters are invalid. Reason: Message must be shorter than ${maximumMessageSize} bytes (it is ${size}).`,
      'message-too-large',
    );
  }
}

function validateAttributes(attributes: MessageAttributes): void {
  const names = Object.keys(attributes);
  if (names.length > MAX_ATTRIBUTES) {
    throw queueInvalid(`Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_ATTRIBUTES}].`, 'parameter');
  }
  for (const name of names) {
    const value = attributes[name]!;
    const reserved = name.toLowerCase().startsWith('aws.') || name.toLowerCase().startsWith('amazon.');
    if (!ATTRIBUTE_NAME.test(name) || reserved || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw queueInvalid(`Message (user) attribute name '${name}' is invalid.`, 'parameter');
    }
    const base = value.dataType.split('.')[0];
    if (base !== 'String' && base !== 'Number' && base !== 'Binary') {
      throw queueInvalid(`The type of message (user) attribute '${name}' is invalid: ${value.dataType}.`, 'parameter');
    }
    if (base === 'Binary') {
      if (value.binaryValue === undefined || value.binaryValue.length === 0) {
        throw queueInvalid(`Message (user) attribute '${name}' must contain a non-empty value of type 'Binary'.`, 'parameter');
      }
      continue;
    }
    if (value.stringValue === undefined || value.stringValue.length === 0) {
      throw queueInvalid(`Message (user) attribute '${name}' must contain a non-empty value of type '${base}'.`, 'parameter');
    }
    if (base === 'Number' && !Number.isFinite(Number(value.stringValue))) {
      throw queueInvalid(`Could not cast message (user) attribute '${name}' to type 'Number'.`, 'parameter');
    }
    if (hasInvalidCharacters(value.stringValue)) {
      throw queueInvalid(`Message (user) attribute '${name}' has characters SQS does not allow.`, 'message-contents');
    }
  }
}
