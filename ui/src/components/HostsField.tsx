import Autocomplete from '@mui/material/Autocomplete';
import Chip from '@mui/material/Chip';
import TextField from '@mui/material/TextField';
import { hostError, normalizeHost } from '../features/launch/launch-form';

/** Allowed hosts as chips: type a host and press Enter (or paste several separated by spaces/commas). */
export function HostsField({
  value,
  onChange,
  error,
  disabled,
  suggestions = [],
  testId,
}: {
  value: string[];
  onChange: (hosts: string[]) => void;
  error?: string;
  disabled?: boolean;
  suggestions?: string[];
  testId?: string;
}) {
  return (
    <Autocomplete
      multiple
      freeSolo
      disabled={disabled}
      options={suggestions.filter((s) => !value.includes(s))}
      value={value}
      onChange={(_, v) => onChange([...new Set(v.flatMap((h) => h.split(/[\s,]+/)).map(normalizeHost).filter(Boolean))])}
      renderTags={(tags, getTagProps) =>
        tags.map((h, i) => {
          const { key, ...rest } = getTagProps({ index: i });
          return <Chip key={key} {...rest} size="small" label={h} color={hostError(h) ? 'error' : 'default'} />;
        })
      }
      renderInput={(params) => (
        <TextField
          {...params}
          label="Allowed hosts"
          placeholder={value.length ? '' : 'api.example.com, *.example.com'}
          error={Boolean(error)}
          helperText={error ?? 'Type a host and press Enter. Wildcards like *.github.com match subdomains.'}
          inputProps={{ ...params.inputProps, 'data-testid': testId }}
        />
      )}
    />
  );
}
