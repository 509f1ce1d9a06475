import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';

export function EmptyState({ icon, title, children, action, testId }: { icon?: ReactNode; title: string; children?: ReactNode; action?: ReactNode; testId?: string }) {
  return (
    <Box data-testid={testId} sx={{ py: 6, px: 3, textAlign: 'center', color: 'text.secondary', display: 'flex', flexDirection: 'column', alignItems: 'center', gap: 1.5 }}>
      {icon && <Box sx={{ fontSize: 48, lineHeight: 0, '& svg': { fontSize: 48 } }}>{icon}</Box>}
      <Typography variant="h2" color="text.primary">
        {title}
      </Typography>
      {children && <Typography sx={{ maxWidth: 520 }}>{children}</Typography>}
      {action}
    </Box>
  );
}
